"""Typed suite configuration: every option typed by its component's declared parameters, refused at the edge
with one line naming the location and the valid choices, exit 2, nothing written."""

from __future__ import annotations

import math
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Annotated, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import Field
from sslbench.benchmarks.config import MAX_SEED, component_model
from sslbench.benchmarks.suite import SuiteError, load_suite, suite_from_dict
from sslbench.flows.cli import main
from sslbench.ssl_models.encoders.base import Encoder
from sslbench.ssl_models.objectives import OBJECTIVES, Objective
from sslbench.ssl_models.options import Range, options_model, validated

TINY = {"name": "t", "datasets": ["digits"], "encoders": ["mlp"], "objectives": ["simclr"]}
SUITE = 'datasets = ["digits"]\nencoders = ["mlp", "cnn"]\nobjectives = ["simclr"]\n'

# The typo cases of issue 13: (what the suite file adds, the line the CLI prints after "sslbench: error: ").
TYPOS = [
    (
        "[objective_options.simclr]\ntemprature = 0.1",
        "objective_options.simclr.temprature: unknown option; valid: temperature, projection_dim, hidden_dim",
    ),
    ("[encoder_options.cnn]\nwidht = 8", "encoder_options.cnn.widht: unknown option; valid: width, head"),
    ("[augment]\nnviews = 8", "augment.nviews: unknown key; valid: n_views, options"),
    ('[train]\nlearning_rate = "1e-3"', "train.learning_rate: must be a number, got '1e-3'"),
    ("[train]\nbatch_size = 256.5", "train.batch_size: must be an integer, got 256.5"),
    ("embedding_dim = 0", "embedding_dim: must be at least 1 and at most 65536, got 0"),
]


def _suite_file(folder: Path, addition: str) -> Path:
    """A valid suite file plus ``addition`` (a top-level line goes first, a table last)."""
    path = folder / "suite.toml"
    path.write_text(f"{SUITE}{addition}\n" if addition.startswith("[") else f"{addition}\n{SUITE}")
    return path


def _tree(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder`` with its bytes and modification time."""
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()
    }


@pytest.mark.parametrize("existing_out", [False, True], ids=["new-out", "existing-out"])
@pytest.mark.parametrize("addition, message", TYPOS, ids=[m.split(":")[0] for _, m in TYPOS])
def test_typos_in_a_suite_file_exit_2_with_one_line_and_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], addition: str, message: str, existing_out: bool
) -> None:
    suite, out = _suite_file(tmp_path, addition), tmp_path / "out"
    if existing_out:
        (out / "tables").mkdir(parents=True)
        (out / "tables" / "kept.txt").write_text("a previous run")
    before = _tree(out) if existing_out else None
    code = main(["run", str(suite), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.splitlines() == [f"sslbench: error: {message}"], captured.err
    assert captured.out == ""
    assert (_tree(out) == before) if existing_out else not out.exists()


def test_the_installed_command_refuses_a_typo_alike(tmp_path: Path) -> None:
    suite, out = _suite_file(tmp_path, TYPOS[0][0]), tmp_path / "out"
    done = subprocess.run(
        [str(Path(sys.executable).with_name("sslbench")), "run", str(suite), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [f"sslbench: error: {TYPOS[0][1]}"] and done.stdout == ""
    assert not out.exists()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"train": {"epochs": True}}, "train.epochs: must be an integer, got True"),
        ({"train": {"batch_size": 256.0}}, "train.batch_size: must be an integer, got 256.0"),
        ({"train": {"cosine_schedule": "yes"}}, "train.cosine_schedule: must be true or false, got 'yes'"),
        ({"seeds": [0, -1]}, f"seeds[1]: must be at least 0 and at most {MAX_SEED}, got -1"),
        ({"test_fraction": 0.0}, "test_fraction: must be above 0 and below 1, got 0.0"),
        ({"embedding_dim": 65_537}, "embedding_dim: must be at least 1 and at most 65536, got 65537"),
        (
            {"objective_options": {"simclr": {"temperature": math.nan}}},
            "objective_options.simclr.temperature: must be a finite number, got nan",
        ),
        (
            {"objective_options": {"simsiam": {"stop_gradient": 0}}},
            "objective_options.simsiam.stop_gradient: must be true or false, got 0",
        ),
        (
            {"objective_options": {"simclr2": {}}},
            "objective_options.simclr2: unknown objective 'simclr2'; valid objectives: ",
        ),
        (
            {"encoder_options": {"transformer": {"patch_size": "7"}}},
            "encoder_options.transformer.patch_size: must be an integer, got '7'",
        ),
        (
            {"augment": {"options": {"image": {"rotation": 5}}}},
            "augment.options.image.rotation: unknown option; valid: crop_scale, crop_ratio, rotation_degrees",
        ),
        (
            {"augment": {"options": {"image": {"crop_scale": [0.5, 1.0, 2.0]}}}},
            "augment.options.image.crop_scale: takes at most 2 items, got [0.5, 1.0, 2.0]",
        ),
        (
            {"dataset_options": {"gunpoint": {"normalisation": "zscore"}}},
            (
                "dataset_options.gunpoint.normalisation: 'zscore' is not a valid choice; "
                "valid: per_series, train_channel, none"
            ),
        ),
        (
            {"baselines": ["raw", "rnd"]},
            "baselines[1]: 'rnd' is not a valid choice; valid: raw, pca, random_features, random, supervised",
        ),
        (
            {"dataset_train": {"digits": {"lr": 1}}},
            "dataset_train.digits.lr: unknown key; valid: epochs, batch_size, ",
        ),
        ({"train": {"large_set_iterations": 600}}, "train.large_set_iterations needs train.iterations"),
        ({"encoders": "mlp"}, "encoders: must be a list, got 'mlp'"),
        ({"name": "t", "datasets": None}, "datasets: is required"),
    ],
)
def test_bad_values_name_their_location_and_what_is_valid(change: dict, message: str) -> None:
    with pytest.raises(SuiteError) as refused:
        suite_from_dict({**TINY, **change})
    assert str(refused.value).startswith(message) and "\n" not in str(refused.value), str(refused.value)


def test_numbers_are_typed_strictly_but_an_integer_fills_a_float() -> None:
    suite = suite_from_dict(
        {
            **TINY,
            "train": {"learning_rate": 1, "weight_decay": 0},
            "test_fraction": 0.5,
            "objective_options": {"simclr": {"temperature": 1}},
            "seeds": [0, MAX_SEED],
        }
    )
    assert suite.train.learning_rate == 1.0 and isinstance(suite.train.learning_rate, float)
    assert suite.objective_options["simclr"] == {"temperature": 1.0}
    assert suite.seeds == (0, MAX_SEED) and suite.test_fraction == 0.5


def test_component_options_are_the_constructor_parameters_with_their_defaults() -> None:
    simclr = component_model("objective", "simclr", "here").model_fields
    assert {name: field.default for name, field in simclr.items()} == {
        "temperature": 0.5,
        "projection_dim": 128,
        "hidden_dim": 512,
    }  # SimCLR.__init__ after the encoder
    cnn = component_model("encoder", "cnn", "here").model_fields
    assert list(cnn) == [
        "width",
        "head",
    ]  # sample_shape and embedding_dim come from the planner, not the suite
    image = component_model("augmentation", "image", "here").model_fields
    assert list(image) == [
        "crop_scale",
        "crop_ratio",
        "rotation_degrees",
        "translate",
        "noise_std",
        "erase_probability",
        "output_fraction",
        "blur_probability",
        "blur_sigma",
        "solarize_probability",
    ]  # the factory's **options are the fields of the class it returns


class _Toy(Objective):
    """A registered objective whose options carry their own bounds and choices (declared nowhere else)."""

    def __init__(
        self,
        encoder: Encoder,
        margin: Annotated[float, Field(gt=0, le=4)] = 1.0,
        reduction: Literal["mean", "sum"] = "mean",
    ) -> None:
        super().__init__(encoder)


OBJECTIVES.register("toy_typed_options")(_Toy)


@pytest.mark.parametrize(
    "options, problem",
    [
        ({"margin": 0}, "margin: must be above 0, got 0"),
        ({"margin": 4.5}, "margin: must be at most 4, got 4.5"),
        ({"reduction": "max"}, "reduction: 'max' is not a valid choice; valid: mean, sum"),
        ({"margn": 1.0}, "margn: unknown option; valid: margin, reduction"),
    ],
)
def test_a_new_component_is_typed_from_its_own_declaration(options: dict, problem: str) -> None:
    suite_from_dict({**TINY, "objective_options": {"toy_typed_options": {"margin": 4, "reduction": "sum"}}})
    with pytest.raises(SuiteError, match=re.escape(f"objective_options.toy_typed_options.{problem}")):
        suite_from_dict({**TINY, "objective_options": {"toy_typed_options": options}})


def test_variants_have_one_shape_and_round_trip_in_it() -> None:
    suite = load_suite("standard")
    assert suite_from_dict(suite.to_dict()) == suite
    assert suite.to_dict()["variants"]["simsiam_no_stopgrad"] == {
        "objective": "simsiam",
        "pairs_with": [],
        "stop_gradient": False,
    }
    linear = suite.variants["linear"]
    assert (linear.kind, linear.target, dict(linear.options), linear.pairs_with) == (
        "encoder",
        "linear",
        {"embedding_dim": 16},
        ("linear_autoencoder",),
    )
    assert suite.variants["linear_autoencoder"].options["train"]["learning_rate"] == 1e-2


@pytest.mark.parametrize(
    "entry, message",
    [
        (
            {"kind": "objective", "target": "simsiam"},
            "variants.v: names neither of objective = NAME and encoder = NAME",
        ),
        ({"objective": "simsiam", "encoder": "mlp"}, "variants.v: names both of"),
        (
            {"objective": "simsiam", "options": {"stop_gradient": False}},
            "variants.v.options: unknown option; valid: stop_gradient, projection_dim",
        ),
        ({"objective": "simsiam", "label": "v"}, "variants.v.label: unknown option"),
        ({"objective": "simsiamm"}, "variants.v.objective: unknown objective 'simsiamm'"),
        (
            {"encoder": "cnn", "widht": 8},
            "variants.v.widht: unknown option; valid: width, head, encoder, pairs_with, embedding_dim, train",
        ),
        ({"encoder": "cnn", "train": {"epochs": 0}}, "variants.v.train.epochs: must be at least 1"),
        ({"encoder": "cnn", "pairs_with": "simclr"}, "variants.v.pairs_with: must be a list"),
        ({"objective": 3}, "variants.v.objective: must be a string, got 3"),
    ],
)
def test_a_variant_outside_its_shape_is_refused(entry: dict, message: str) -> None:
    with pytest.raises(SuiteError, match=re.escape(message)):
        suite_from_dict({**TINY, "variants": {"v": entry}})


@settings(max_examples=80, deadline=None)
@given(
    st.one_of(
        st.booleans(),
        st.integers(-10, 10),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=4),
        st.lists(st.floats(0, 1), max_size=2),
        st.none(),
    )
)
def test_a_float_option_accepts_exactly_the_finite_numbers(value: object) -> None:
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    try:
        suite = suite_from_dict({**TINY, "objective_options": {"simclr": {"temperature": value}}})
    except SuiteError as error:
        assert not is_number and str(error).startswith("objective_options.simclr.temperature: must be")
    else:
        temperature = suite.objective_options["simclr"]["temperature"]
        assert is_number and temperature == float(value)  # type: ignore[arg-type]


def test_one_error_line_counts_the_other_problems_and_reads_bounds_in_words() -> None:
    model = options_model("m", lambda size=1, rate=0.5: None, ranges={"size": Range(1, 8), "rate": Range(0, 1, True)})
    with pytest.raises(ValueError) as refused:
        validated(model, {"size": 9, "rate": 0, "extra": 1}, "m")
    assert str(refused.value) == "m.size: must be at least 1 and at most 8, got 9 (and 2 more problems)"
    assert Range(0.0, 1e12, low_open=True).describe() == "above 0 and at most 1e+12"
    assert validated(model, {"size": 8}, "m") == {"size": 8}
    assert validated(model, {}, "m", given_only=False) == {"size": 1, "rate": 0.5}


def test_a_suite_that_sets_nothing_optional_gets_the_documented_defaults(tmp_path: Path) -> None:
    path = tmp_path / "minimal.toml"
    path.write_text(
        textwrap.dedent("""
        datasets = ["digits"]
        encoders = ["mlp"]
    """)
    )
    suite = load_suite(str(path))
    assert (suite.name, suite.seeds, suite.embedding_dim, suite.test_fraction, suite.augment.n_views) == (
        "minimal",
        (0,),
        64,
        0.2,
        4,
    )
    assert suite.baselines == ("raw", "pca", "random", "supervised") and suite.objectives == ()


_anything = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.floats(), st.text(max_size=4)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=2)),
    max_leaves=6,
)
_names = st.sampled_from(["simclr", "cnn", "mlp", "gnn", "transformer", "image", "sequence", "digits", "nope"])
_tables = st.dictionaries(
    _names,
    st.dictionaries(
        st.sampled_from(
            [
                "temperature",
                "width",
                "head",
                "layer",
                "patch_size",
                "crop_scale",
                "n_views",
                "objective",
                "encoder",
                "pairs_with",
                "train",
                "embedding_dim",
                "x",
            ]
        ),
        _anything,
        max_size=3,
    ),
    max_size=2,
)


@settings(max_examples=120, deadline=None)
@given(
    st.fixed_dictionaries(
        {},
        optional={key: _tables for key in ("objective_options", "encoder_options", "variants", "dataset_options")}
        | {"augment": st.fixed_dictionaries({}, optional={"n_views": _anything, "options": _tables})},
    )
)
def test_fuzzed_component_tables_load_or_are_refused_with_one_line(changes: dict) -> None:
    try:
        suite_from_dict({**TINY, **changes})
    except SuiteError as error:
        assert "\n" not in str(error) and ": " in str(error)


def test_a_datasets_override_keeps_the_options_of_the_datasets_still_run() -> None:
    from sslbench.benchmarks.plan import make_plan
    from sslbench.benchmarks.suite import with_overrides

    suite = load_suite("ts2vec")
    assert set(suite.dataset_options) == {"ucr:UnitTest", "ucr_padded:PickupGestureWiimoteZ"}
    subset = with_overrides(suite, datasets=["italy_power_demand", "ucr:UnitTest"], objectives=["ts2vec"])
    assert dict(subset.dataset_options) == {"ucr:UnitTest": {"normalisation": "train_channel"}}
    assert make_plan(subset).jobs  # planning no longer refuses the options of a dataset left out
    assert dict(with_overrides(suite, datasets=["gunpoint"]).dataset_options) == {}
