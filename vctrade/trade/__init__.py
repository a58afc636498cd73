"""Trade documents as a plug-in: AEO / C-TPAT certifications, certificates of origin, and their policy rules.

Importing this package registers each bundled trade type (a module in
``vctrade/trade/_types/``: builder, JSON Schema, rules, type IRI) and the
policy sections ``[[programme]]``, ``[provenance]`` and ``[workflow]``, and the steel-import workflow (its
cross-document rules run inside verification, see ``_crossdoc``). Register another type with
:func:`register_trade_type`, another workflow with :func:`register_workflow`; nothing else needs to change.
"""

from __future__ import annotations

from vctrade.trade import _types  # noqa: F401  (registers the bundled trade types)
from vctrade.trade._build import finish_credential, load_request, typed, with_address
from vctrade.trade._crossdoc import (
    STEEL_IMPORT,
    Document,
    Shipment,
    ShipmentRule,
    WorkflowPolicy,
    WorkflowSettings,
    compare_parties,
    run_rules,
    workflow_hook,
)
from vctrade.trade._registry import (
    SHIPMENT_CONTEXT,
    TRADE_CONTEXT,
    TRADE_VOCAB,
    Builder,
    TradeType,
    get_trade_type,
    register_trade_type,
    trade_type_of,
    trade_types,
)
from vctrade.trade._rules import (
    AEO_TYPES,
    ORIGIN_TYPES,
    OriginProvenance,
    Programme,
    RecognizedProgrammes,
)
from vctrade.trade._schema import JsonSchema, period_problems
from vctrade.trade._types.aeo import AEO, AEO_SCHEMA, build_aeo_credential
from vctrade.trade._types.origin import (
    ORIGIN,
    ORIGIN_SCHEMA,
    USMCA_CERTIFICATION_STATEMENT,
    build_origin_credential,
)
from vctrade.trade._workflows import (
    CrossDocumentRule,
    Workflow,
    get_workflow,
    register_workflow,
    workflow_for_definition,
    workflows,
)

__all__ = [
    "TradeType",
    "Builder",
    "JsonSchema",
    "register_trade_type",
    "trade_types",
    "get_trade_type",
    "trade_type_of",
    "load_request",
    "finish_credential",
    "typed",
    "with_address",
    "period_problems",
    "TRADE_CONTEXT",
    "TRADE_VOCAB",
    "SHIPMENT_CONTEXT",
    "AEO",
    "AEO_SCHEMA",
    "ORIGIN",
    "ORIGIN_SCHEMA",
    "build_aeo_credential",
    "build_origin_credential",
    "USMCA_CERTIFICATION_STATEMENT",
    "Programme",
    "RecognizedProgrammes",
    "OriginProvenance",
    "AEO_TYPES",
    "ORIGIN_TYPES",
    "Workflow",
    "CrossDocumentRule",
    "register_workflow",
    "workflows",
    "get_workflow",
    "workflow_for_definition",
    "STEEL_IMPORT",
    "Document",
    "Shipment",
    "ShipmentRule",
    "WorkflowSettings",
    "WorkflowPolicy",
    "compare_parties",
    "run_rules",
    "workflow_hook",
]
