"""Entity enrichment: NER mentions linked to knowledge-base ids through a multilingual gazetteer.

:class:`EntityExtractor` is the stage; see ``extractor.py`` for the composition
rules and ``docs/entities.md`` for the design, id namespaces and data sources.
"""

from __future__ import annotations

from newsflow.stages.entities.extractor import EntityExtractor

__all__ = ["EntityExtractor"]
