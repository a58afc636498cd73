"""The bundled DID methods, one module each; each registers its method when imported.

Nothing is imported here: :data:`vctrade.did._resolver.BUNDLED` names each
method's module, and the registry imports it the first time the method is used.
"""
