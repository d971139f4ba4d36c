"""
The bundle spec, read from the copy of Planet's spec shipped with the package.

Expectations come from Planet's document itself (and from real samples of Planet's SDK where the
shared reference folder is present), not from a hand-kept list.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from airflow_provider_planet_orders.core.api import BUNDLES_SPEC_PATH
from airflow_provider_planet_orders.core.bundles import (
    VENDORED_SPEC_FILE,
    BundleCheck,
    BundleSpec,
    BundleSpecError,
    split_fallbacks,
)

SHIPPED = resources.files("airflow_provider_planet_orders.core").joinpath("data").joinpath(VENDORED_SPEC_FILE)
SHARED_SPEC = Path(__file__).resolve().parents[2].parent / "shared" / "planet-spec"


@pytest.fixture(scope="module")
def spec() -> BundleSpec:
    return BundleSpec.vendored()


def test_the_vendored_copy_is_shipped_and_read_once(spec: BundleSpec) -> None:
    assert BundleSpec.vendored() is spec
    assert spec.version == "2024-08-12"
    assert json.loads(SHIPPED.read_text("utf-8")) == spec.document
    assert BUNDLES_SPEC_PATH == "/compute/ops/bundles/spec"


@pytest.mark.skipif(not SHARED_SPEC.is_dir(), reason="the shared reference folder is not on this machine")
def test_the_vendored_copy_is_planets_document_byte_for_byte() -> None:
    assert SHIPPED.read_bytes() == (SHARED_SPEC / VENDORED_SPEC_FILE).read_bytes()


def test_bundles_the_hand_kept_list_lacked_are_there(spec: BundleSpec) -> None:
    bundles = set(spec.bundles())
    assert len(bundles) == 35
    for name in (
        "radiance_hdf5",
        "sr_hdf5",
        "basic_radiance_hdf5",
        "basic_sr_hdf5",
        "methane",
        "methane_quicklook",
        "quality_controlled_methane",
        "integrated_methane_enhancement",
        "panchromatic_udm2",
    ):
        assert name in bundles, name
    assert "TanagerMethane" in spec.item_types()
    assert "TanagerScene" in spec.item_types()
    assert spec.bundles()[0] == "analytic"  # the spec's order is kept


def test_check_answers_each_verdict(spec: BundleSpec) -> None:
    assert spec.check("PSScene", "analytic_udm2") is BundleCheck.VALID
    # Planet answers 400 "Bad item type 'PSScene' for bundle type 'analytic'".
    assert spec.check("PSScene", "analytic") is BundleCheck.INVALID
    assert spec.check("PSScene", "analytic_sr") is BundleCheck.INVALID
    assert spec.check("TanagerMethane", "methane") is BundleCheck.VALID
    assert spec.check("TanagerMethane", "visual") is BundleCheck.INVALID
    assert spec.check("PSScene9Band", "analytic_udm2") is BundleCheck.UNKNOWN_ITEM_TYPE
    assert spec.check("PSScene", "analytic_udm3") is BundleCheck.UNKNOWN_BUNDLE
    assert spec.check("Nope", "nope") is BundleCheck.UNKNOWN_ITEM_TYPE  # the item type first
    assert BundleCheck.VALID.ok
    assert not BundleCheck.UNKNOWN_BUNDLE.ok


def test_names_are_matched_exactly_with_a_canonical_spelling_on_the_side(spec: BundleSpec) -> None:
    assert spec.check("psscene", "analytic_udm2") is BundleCheck.UNKNOWN_ITEM_TYPE
    assert spec.check("PSScene", "Analytic_UDM2") is BundleCheck.UNKNOWN_BUNDLE
    assert spec.canonical_bundle(" Analytic_UDM2 ") == "analytic_udm2"
    assert spec.canonical_item_type("psscene") == "PSScene"
    assert spec.canonical_bundle("nothing") is None


def test_bundles_for_an_item_type(spec: BundleSpec) -> None:
    ps = spec.bundles_for("PSScene")
    assert "analytic" not in ps
    assert ps[:3] == ("analytic_udm2", "analytic_3b_udm2", "analytic_8b_udm2")
    assert set(ps) >= {"visual", "analytic_sr_udm2", "analytic_8b_sr_udm2", "basic_analytic_udm2"}
    assert spec.bundles_for("TanagerMethane") == (
        "methane_quicklook",
        "quality_controlled_methane",
        "methane",
        "integrated_methane_enhancement",
    )
    assert spec.bundles_for("Unknown") == ()


def test_assets_for_a_bundle_and_item_type(spec: BundleSpec) -> None:
    assert spec.assets_for("analytic_udm2", "PSScene") == (
        "ortho_analytic_4b",
        "ortho_analytic_4b_xml",
        "ortho_udm2",
    )
    assert spec.assets_for("visual", "PSScene") == ("ortho_visual",)
    assert spec.assets_for("radiance_hdf5", "TanagerScene") == ("ortho_radiance_hdf5",)
    assert spec.assets_for("analytic", "PSScene") == ()
    assert spec.assets_for("nope", "PSScene") == ()
    assert spec.info("radiance_hdf5")["fileType"] == "HDF5"
    assert spec.info("nope") == {}


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("analytic_udm2", ("analytic_udm2",)),
        ("analytic_8b_sr_udm2,analytic_sr_udm2", ("analytic_8b_sr_udm2", "analytic_sr_udm2")),
        (" a , b ,, ", ("a", "b")),
        ("", ()),
    ],
)
def test_split_fallbacks(text: str, names: tuple[str, ...]) -> None:
    assert split_fallbacks(text) == names
    assert BundleSpec.split_fallbacks(text) == names


def test_a_live_document_builds_a_spec_of_its_own() -> None:
    live = BundleSpec.from_document(
        {
            "bundles": {"new_bundle": {"assets": {"NewScene": ["a", "b"]}}},
            "version": "2030-01-01",
        }
    )
    assert live.version == "2030-01-01"
    assert live.check("NewScene", "new_bundle") is BundleCheck.VALID
    assert live.assets_for("new_bundle", "NewScene") == ("a", "b")
    assert live.item_types() == ("NewScene",)


@pytest.mark.parametrize(
    "document",
    [
        [],
        {"version": "x"},
        {"bundles": {"b": {}}},
        {"bundles": {"b": {"assets": {"T": "not a list"}}}},
        {"bundles": {"b": {"assets": {"T": [1]}}}},
    ],
)
def test_a_document_of_another_shape_is_refused(document: object) -> None:
    with pytest.raises(BundleSpecError):
        BundleSpec.from_document(document)


@pytest.mark.skipif(not SHARED_SPEC.is_dir(), reason="the shared reference folder is not on this machine")
def test_real_samples_of_planets_sdk_agree_with_the_spec(spec: BundleSpec) -> None:
    page = json.loads((SHARED_SPEC / "orders_page.json").read_text())
    for order in page["orders"]:
        for product in order["products"]:
            for bundle in split_fallbacks(product["product_bundle"]):
                assert spec.check(product["item_type"], bundle) is BundleCheck.VALID
    request = json.loads((SHARED_SPEC / "order_details_psorthotile_analytic.json").read_text())
    (product,) = request["products"]
    # The SDK's sample writes "ANALYTIC": its SDK corrects the case before sending.
    assert spec.check(product["item_type"], product["product_bundle"]) is BundleCheck.UNKNOWN_BUNDLE
    canonical = spec.canonical_bundle(product["product_bundle"])
    assert canonical == "analytic"
    assert spec.check(product["item_type"], canonical) is BundleCheck.VALID
