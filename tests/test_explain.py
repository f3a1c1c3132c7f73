"""`actgrad explain`: every function has texts in both languages, the numbers shown are the
registry's own (computed live), the language follows LC_ALL/LC_MESSAGES/LANG or --lang, and
errors are one line with exit 2."""

from __future__ import annotations

import re
import string

import numpy as np
import pytest
from conftest import fail, ok
from typer.testing import CliRunner

import actgrad
from actgrad.views import explain as lessons
from actgrad.cli.app import app

runner = CliRunner()
LOCALE_VARS = ("LC_ALL", "LC_MESSAGES", "LANG")
#: every activation the catalogue is growing to; the texts are written for all of them
PLANNED = (
    "sigmoid", "tanh", "relu", "leaky_relu", "identity", "relu6", "prelu", "rrelu", "elu",
    "selu", "celu", "gelu", "silu", "mish", "softplus", "softsign", "log_sigmoid",
    "hard_sigmoid", "hard_swish", "hard_tanh", "tanhshrink", "softshrink", "hardshrink",
    "threshold", "squareplus", "sparse_plus", "sparse_sigmoid",
)


@pytest.fixture(autouse=True)
def english_locale(monkeypatch):
    """Tests start from a neutral locale; the ones about locales set their own."""
    for var in LOCALE_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)




def flat(text: str) -> str:
    """The text with its line wrapping undone (phrases may be wrapped across lines)."""
    return " ".join(text.split())


def devanagari_share(text: str) -> float:
    dev = sum("\u0900" <= c <= "\u097f" for c in text)
    latin = sum(c in string.ascii_letters for c in text)
    return dev / (dev + latin)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


# -- the catalogues ------------------------------------------------------------------------------


def missing_texts(lang: str) -> list[str]:
    """What the text catalogue of ``lang`` lacks for the catalogue's functions, each as an
    instruction naming the file, the table and the keys to add."""
    from actgrad.activations import CATALOGUE

    path = f"actgrad/texts/{lang}.toml"
    functions = lessons.load(lang)["functions"]
    keys = ", ".join(lessons.ENTRY_KEYS)
    out = []
    for name in [s.name for s in CATALOGUE]:
        entry = functions.get(name)
        if entry is None:
            out.append(f"{path}: add a table [functions.{name}] with the keys {keys} (each a "
                       f"non-empty text; optional: {', '.join(lessons.OPTIONAL_KEYS)}), as the "
                       "other [functions.*] tables there")
            continue
        lacking = [k for k in lessons.ENTRY_KEYS if not str(entry.get(k, "")).strip()]
        if lacking:
            out.append(f"{path}: [functions.{name}] needs non-empty {', '.join(lacking)}")
    return out


@pytest.mark.parametrize("lang", lessons.LANGS)
def test_every_catalogue_function_has_an_entry(lang):
    missing = missing_texts(lang)
    if missing:
        pytest.fail("\n".join(missing), pytrace=False)


def test_missing_texts_are_named_with_file_table_and_keys(monkeypatch):
    real = lessons.load

    def without_silu(lang):
        data = dict(real(lang))  # a copy: load's result may be cached
        data["functions"] = {k: v for k, v in data["functions"].items() if k != "silu"}
        data["functions"]["gelu"] = {**data["functions"]["gelu"], "precision": " "}
        return data

    monkeypatch.setattr(lessons, "load", without_silu)
    got = missing_texts("hi")
    assert got == [
        "actgrad/texts/hi.toml: [functions.gelu] needs non-empty precision",
        "actgrad/texts/hi.toml: add a table [functions.silu] with the keys "
        + ", ".join(lessons.ENTRY_KEYS)
        + " (each a non-empty text; optional: " + ", ".join(lessons.OPTIONAL_KEYS)
        + "), as the other [functions.*] tables there",
    ]


@pytest.mark.parametrize("lang", lessons.LANGS)
def test_texts_are_written_for_every_planned_function(lang):
    functions = lessons.load(lang)["functions"]
    assert set(PLANNED) <= set(functions)


def test_both_languages_have_the_same_keys_and_placeholders():
    en, hi = lessons.load("en"), lessons.load("hi")
    assert en["headings"].keys() == hi["headings"].keys()
    assert en["shared"].keys() == hi["shared"].keys()
    for key, text in en["shared"].items():
        if isinstance(text, str):
            assert placeholders(text) == placeholders(hi["shared"][key]), key
    assert len(en["shared"]["sanity_columns"]) == len(hi["shared"]["sanity_columns"])
    assert en["functions"].keys() == hi["functions"].keys()
    for name in en["functions"]:
        assert en["functions"][name].keys() == hi["functions"][name].keys(), name
        assert set(en["functions"][name]) <= set(lessons.ENTRY_KEYS + lessons.OPTIONAL_KEYS)


def test_texts_are_package_data_files():
    from importlib import resources

    texts = resources.files("actgrad") / "texts"
    assert sorted(p.name for p in texts.iterdir() if p.name.endswith(".toml")) == ["en.toml", "hi.toml"]


# -- live numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", lessons.LANGS)
@pytest.mark.parametrize("name", actgrad.names())
def test_sanity_values_are_the_registrys(name, lang):
    out = ok("explain", name, "--lang", lang)
    f = actgrad.get(name)
    for z in (-10.0, 0.0, 10.0):
        assert repr(f(z)) in out, (name, z)
        assert repr(f.deriv(z)) in out, (name, z)
    assert f.spec.formula in flat(out)


def test_sanity_table_rows_hold_z_g_and_g_prime_together():
    out = ok("explain", "tanh")
    f = actgrad.get("tanh")
    for z in (-10.0, 0.0, 10.0):
        row = f"{z!r}   {f(z)!r}   {f.deriv(z)!r}"
        assert re.search(re.escape(row).replace(r"\ \ \ ", r"\s+"), out), row


def test_parameters_change_the_live_values():
    out = ok("explain", "leaky_relu", "-p", "negative_slope=0.2")
    f = actgrad.get("leaky_relu", negative_slope=0.2)
    assert repr(f(-10.0)) in out and repr(f.deriv(-10.0)) in out
    assert "negative_slope = 0.2" in out


def test_kinks_show_what_pytorch_and_jax_return():
    out = ok("explain", "leaky_relu")
    f = actgrad.get("leaky_relu")
    pt, jx = f.deriv(0.0, kink="pytorch"), f.deriv(0.0, kink="jax")
    assert pt != jx
    assert f"PyTorch returns {pt!r}, JAX returns {jx!r}" in flat(out)
    assert "g′ is continuous everywhere" in flat(ok("explain", "sigmoid"))


def test_saturation_region_is_computed():
    f = actgrad.get("sigmoid")
    z = np.arange(-2000, 2001) / 100.0
    small = z[np.abs(f.deriv(z)) < 0.01]
    left_edge = small[small < 0].max()
    out = ok("explain", "sigmoid")
    assert f"z ≤ {left_edge:.2f}".replace("-", "−") in flat(out)
    assert "z ≤ 0 (there g′ = 0 exactly)" in flat(ok("explain", "relu"))


def test_cancellation_of_g_prime_from_a_is_shown_live():
    out = ok("explain", "sigmoid")
    f = actgrad.get("sigmoid")
    from_z, from_a = f.deriv(40.0), f.deriv_from_output(f(40.0))
    assert from_a == 0.0 and from_z > 0
    assert f"g′ from z = {from_z!r}, g′ from a = {from_a!r}" in flat(out)


# -- language ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", actgrad.names())
def test_hindi_is_mostly_devanagari(name):
    out = ok("explain", name, "--lang", "hi")
    assert devanagari_share(out) > 0.5, name
    assert devanagari_share(ok("explain", name, "--lang", "en")) == 0.0


def test_lang_environment_selects_hindi(monkeypatch):
    monkeypatch.setenv("LANG", "hi_IN.UTF-8")
    out = ok("explain", "sigmoid")
    assert devanagari_share(out) > 0.5
    assert lessons.load("hi")["headings"]["derivation"] in out


def test_first_set_locale_variable_wins(monkeypatch):
    monkeypatch.setenv("LANG", "hi_IN.UTF-8")
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")
    assert devanagari_share(ok("explain", "relu")) == 0.0
    monkeypatch.setenv("LC_ALL", "")  # set but empty: skipped
    monkeypatch.setenv("LC_MESSAGES", "hi_IN")
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    assert devanagari_share(ok("explain", "relu")) > 0.5


def test_lang_option_overrides_the_environment(monkeypatch):
    monkeypatch.setenv("LANG", "hi_IN.UTF-8")
    assert devanagari_share(ok("explain", "tanh", "--lang", "en")) == 0.0
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert devanagari_share(ok("explain", "tanh", "-l", "hi")) > 0.5


@pytest.mark.parametrize("env,lang", [
    ({}, "en"), ({"LANG": "hi_IN.UTF-8"}, "hi"), ({"LANG": "hi"}, "hi"), ({"LANG": "C"}, "en"),
    ({"LC_ALL": "", "LANG": "hi_IN"}, "hi"), ({"LC_MESSAGES": "en_IN", "LANG": "hi_IN"}, "en"),
])
def test_default_lang(env, lang):
    assert lessons.default_lang(env) == lang


# -- output and errors -------------------------------------------------------------------------------


def test_piped_and_no_color_output_is_plain(monkeypatch):
    piped = ok("explain", "relu")
    assert "\x1b[" not in piped
    assert "Kinks\n─────" in piped
    assert piped == ok("explain", "relu", "-f", "plain")
    assert "\x1b[" in ok("explain", "relu", "-f", "rich")  # asked for: styled even when piped
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in ok("explain", "relu", "--lang", "hi")


def test_unknown_function_suggests_a_name():
    assert "did you mean 'sigmoid'" in fail("explain", "sigmod")


@pytest.mark.parametrize("args,word", [
    (["relu", "--lang", "fr"], "--lang"),
    (["relu", "-f", "html"], "--format"),
    (["relu", "-p", "alpha=2"], "alpha"),
])
def test_bad_options_exit_2_with_one_line(args, word):
    assert word in fail("explain", *args)


def test_help_has_examples():
    r = runner.invoke(app, ["explain", "--help"])
    assert r.exit_code == 0
    assert "Example: actgrad explain sigmoid" in r.stdout
    assert "--lang" in r.stdout
