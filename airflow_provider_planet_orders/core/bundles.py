"""
Planet's product-bundle spec: which bundles exist, which item types each takes, which assets each
delivers.

The spec is Planet's, not ours: ``GET /compute/ops/bundles/spec`` serves it, and Planet adds
bundles and item types over time. A copy taken on 2024-08-12 ships with the package
(``core/data/``) so that the client can check an order offline and the emulator can refuse what
Planet refuses, both from one table. Nothing here does I/O beyond reading that copy once; a caller
that fetched the live document builds a :class:`BundleSpec` from it with :meth:`BundleSpec.from_document`.

Names are matched exactly, as the API receives them: Planet's SDK corrects their case before
sending, and whether the API itself would is not documented. :meth:`BundleSpec.canonical_bundle`
and :meth:`BundleSpec.canonical_item_type` find the spelling a name was probably meant to have.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from importlib import resources
from typing import Any

#: The vendored copy of Planet's spec, in ``airflow_provider_planet_orders/core/data/``.
VENDORED_SPEC_FILE = "orders-bundles-spec-2024-08-12.json"


class BundleSpecError(ValueError):
    """A document that is not shaped like Planet's bundle spec."""


class BundleCheck(str, Enum):
    """
    What the spec says of an item type with a bundle.

    ``UNKNOWN_*`` means the spec does not know the name: a name newer than the spec, or a typo.
    A client with a possibly stale spec should warn on those rather than refuse; ``INVALID``
    (both known, not together) is what Planet answers 400 for.
    """

    VALID = "valid"
    INVALID = "invalid"
    UNKNOWN_ITEM_TYPE = "unknown_item_type"
    UNKNOWN_BUNDLE = "unknown_bundle"

    @property
    def ok(self) -> bool:
        return self is BundleCheck.VALID


def split_fallbacks(product_bundle: str) -> tuple[str, ...]:
    """
    ``"analytic_8b_sr_udm2,analytic_sr_udm2"`` -> ``("analytic_8b_sr_udm2", "analytic_sr_udm2")``.

    Planet takes a comma-separated list of fallback bundles, tried in order; spaces around names
    and empty entries are dropped.
    """
    return tuple(name.strip() for name in product_bundle.split(",") if name.strip())


@dataclass(frozen=True)
class BundleSpec:
    """
    One version of Planet's bundle spec, read-only.

    ``document`` is the document as Planet serves it (the emulator serves it back unchanged).
    """

    version: str
    document: Mapping[str, Any] = field(repr=False, compare=False)
    _assets: Mapping[str, Mapping[str, tuple[str, ...]]] = field(repr=False)
    _item_types: tuple[str, ...] = field(repr=False)

    @classmethod
    def from_document(cls, document: Any) -> BundleSpec:
        """
        Build from a document shaped like ``GET /compute/ops/bundles/spec``'s answer:
        ``{"bundles": {name: {"assets": {item_type: [asset, ...]}, ...}}, "version": "..."}``.
        """
        if not isinstance(document, Mapping) or not isinstance(document.get("bundles"), Mapping):
            raise BundleSpecError("a bundle spec is an object with a 'bundles' object")
        assets: dict[str, dict[str, tuple[str, ...]]] = {}
        for name, bundle in document["bundles"].items():
            by_type = bundle.get("assets") if isinstance(bundle, Mapping) else None
            if not isinstance(by_type, Mapping):
                raise BundleSpecError(f"bundle {name!r} has no 'assets' object")
            assets[str(name)] = {}
            for item_type, names in by_type.items():
                if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                    raise BundleSpecError(f"assets of bundle {name!r} for {item_type!r} are not names")
                assets[str(name)][str(item_type)] = tuple(names)
        item_types = sorted({item_type for by_type in assets.values() for item_type in by_type})
        return cls(str(document.get("version", "")), document, assets, tuple(item_types))

    @staticmethod
    def vendored() -> BundleSpec:
        """The copy shipped with the package, read once per process."""
        return _vendored()

    split_fallbacks = staticmethod(split_fallbacks)

    def bundles(self) -> tuple[str, ...]:
        """Every bundle name, in the spec's order."""
        return tuple(self._assets)

    def item_types(self) -> tuple[str, ...]:
        """Every item type some bundle takes, sorted."""
        return self._item_types

    def bundles_for(self, item_type: str) -> tuple[str, ...]:
        """The bundles an item type can be ordered with, in the spec's order (empty if unknown)."""
        return tuple(name for name, by_type in self._assets.items() if item_type in by_type)

    def assets_for(self, bundle: str, item_type: str) -> tuple[str, ...]:
        """The assets ``bundle`` delivers for ``item_type``, in the spec's order; empty if it does not."""
        return self._assets.get(bundle, {}).get(item_type, ())

    def info(self, bundle: str) -> Mapping[str, Any]:
        """The bundle's description as Planet writes it (``name``, ``fileType``, ...); empty if unknown."""
        entry = self.document["bundles"].get(bundle)
        return entry if isinstance(entry, Mapping) else {}

    def check(self, item_type: str, bundle: str) -> BundleCheck:
        """
        Whether ``item_type`` can be ordered with ``bundle`` (one name, not a fallback list).

        The item type is looked at first, as Planet's SDK does: with both unknown, the item type
        is the more useful thing to report.
        """
        if item_type not in self._item_types:
            return BundleCheck.UNKNOWN_ITEM_TYPE
        if bundle not in self._assets:
            return BundleCheck.UNKNOWN_BUNDLE
        return BundleCheck.VALID if item_type in self._assets[bundle] else BundleCheck.INVALID

    def knows_products(self, request: Any) -> bool:
        """
        Whether every item type and bundle a request's scene products name is in this spec.

        Anything else (no products, basemaps, junk) counts as known: the validator reports it.
        """
        products = request.get("products") if isinstance(request, Mapping) else None
        for product in products if isinstance(products, list) else ():
            if not isinstance(product, Mapping):
                continue
            item_type, bundle = product.get("item_type"), product.get("product_bundle")
            if isinstance(item_type, str) and item_type not in self._item_types:
                return False
            if isinstance(bundle, str) and any(b not in self._assets for b in split_fallbacks(bundle)):
                return False
        return True

    def canonical_bundle(self, name: str) -> str | None:
        """The bundle ``name`` means, ignoring case and surrounding spaces; ``None`` if none."""
        return _casefold_lookup(self._assets, name)

    def canonical_item_type(self, name: str) -> str | None:
        """The item type ``name`` means, ignoring case and surrounding spaces; ``None`` if none."""
        return _casefold_lookup(self._item_types, name)


def _casefold_lookup(names: Any, name: str) -> str | None:
    wanted = name.strip().casefold()
    return next((n for n in names if n.casefold() == wanted), None)


@lru_cache(maxsize=1)
def _vendored() -> BundleSpec:
    text = resources.files(__package__).joinpath("data").joinpath(VENDORED_SPEC_FILE).read_text("utf-8")
    return BundleSpec.from_document(json.loads(text))
