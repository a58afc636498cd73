"""The bundled cryptosuites, one module each; each registers its suite when imported.

Nothing is imported here: :data:`vctrade.di._registry.BUNDLED` names each
suite's module, and the registry imports it the first time the suite is used.
"""
