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
import reference as R
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
    keys = ", ".join(lessons.ENTRY_KEYS + lessons.SECOND_KEYS)
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
        lacking = [k for k in lessons.SECOND_KEYS if not str(entry.get(k, "")).strip()]
        if lacking:
            out.append(f"{path}: [functions.{name}] needs the g″ texts {', '.join(lacking)} "
                       f"(second_derivation: how g″ follows from g′, step by step, kept as "
                       f"written; second_precision: the stable form actgrad uses and what a "
                       f"naive form loses in the tails), as the other [functions.*] tables there")
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
        data["functions"]["mish"] = {k: v for k, v in data["functions"]["mish"].items()
                                     if k not in lessons.SECOND_KEYS}
        data["functions"]["tanh"] = {**data["functions"]["tanh"], "second_precision": ""}
        return data

    monkeypatch.setattr(lessons, "load", without_silu)
    got = missing_texts("hi")
    second = (" (second_derivation: how g″ follows from g′, step by step, kept as written; "
              "second_precision: the stable form actgrad uses and what a naive form loses in "
              "the tails), as the other [functions.*] tables there")
    assert got == [
        "actgrad/texts/hi.toml: [functions.tanh] needs the g″ texts second_precision" + second,
        "actgrad/texts/hi.toml: [functions.gelu] needs non-empty precision",
        "actgrad/texts/hi.toml: add a table [functions.silu] with the keys "
        + ", ".join(lessons.ENTRY_KEYS + lessons.SECOND_KEYS)
        + " (each a non-empty text; optional: " + ", ".join(lessons.OPTIONAL_KEYS)
        + "), as the other [functions.*] tables there",
        "actgrad/texts/hi.toml: [functions.mish] needs the g″ texts second_derivation, "
        "second_precision" + second,
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
        assert set(en["functions"][name]) <= set(
            lessons.ENTRY_KEYS + lessons.SECOND_KEYS + lessons.OPTIONAL_KEYS)


def test_texts_are_package_data_files():
    from importlib import resources

    texts = resources.files("actgrad") / "texts"
    assert sorted(p.name for p in texts.iterdir() if p.name.endswith(".toml")) == ["en.toml", "hi.toml"]


# -- live numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", lessons.LANGS)
@pytest.mark.parametrize("name", actgrad.names())
def test_sanity_values_are_the_registrys_and_the_lesson_fits_80_columns(name, lang):
    out = ok("explain", name, "--lang", lang, env={"COLUMNS": "80"})
    f = actgrad.get(name)
    for z in (-10.0, 0.0, 10.0):
        assert repr(f(z)) in out, (name, z)
        assert repr(f.deriv(z)) in out, (name, z)
    assert f.spec.formula in flat(out)
    head = lessons.load(lang)["headings"]
    assert head["second"] in out and head["second_values"] in out  # g″ always, no option
    too_wide = [ln for ln in out.splitlines() if lessons._cells(ln) > 80]
    assert not too_wide, too_wide


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


# -- g″: live values against the independent references (tests/reference.py) ------------------

BOUND = 4.0  # ULP, the catalogue's float64 bound for g″ and g″ from a


def ulp(got: float, exact) -> float:
    return float(R.ulp_error(np.array([got]), [exact], np.float64)[0])


def second_table(blocks):
    """The rows of the g″ table (the one whose heading row starts z, g″(z))."""
    tables = [b.rows for b in blocks if b.kind == "table" and b.rows[0][1] == "g″(z)"]
    assert len(tables) == 1
    return tables[0]


def expected_second(name: str, z: float, kink: str = "pytorch"):
    """The reference's g″ at z, or the convention's value where g″ jumps (tests/reference.py's
    second_jumps: read off the frameworks' double-backward formulas)."""
    if z in R.second_jumps(name):
        return R.second_jump(name, z, kink)
    return R.second(name, z)


@pytest.mark.parametrize("name", actgrad.names())
def test_second_values_shown_are_the_references(name):
    f = actgrad.get(name)
    blocks = lessons.lesson(f, "en")
    out = flat(lessons.render_plain(blocks))
    rows = second_table(blocks)
    assert [float(r[0]) for r in rows[1:]] == list(lessons.SECOND_Z)
    with_a = f.from_output_unavailable(order=2) is None
    assert len(rows[0]) == (3 if with_a else 2)
    assert (f.spec.d2_from_output_formula is not None) == with_a
    for row in rows[1:]:
        assert " ".join(row) in out  # the row as rendered
        z = float(row[0])
        assert ulp(float(row[1]), expected_second(name, z)) <= BOUND, (name, row)
        if with_a:  # exact algebra on the rounded output a = g(z), as shown
            a = float(f(z))
            want = (R.second_jump(name, z, "pytorch") if z in R.second_jumps(name)
                    else R.second_from_output(name, a))
            assert ulp(float(row[2]), want) <= BOUND, (name, row, a)


@pytest.mark.parametrize("name", [n for n in actgrad.names()
                                  if actgrad.get(n).kinks or actgrad.get(n).kinks2])
def test_jumps_of_g2_and_deltas_at_kinks_are_the_references(name):
    import mpmath

    f = actgrad.get(name)
    out = flat(ok("explain", name))
    points = lessons.second_points(f)
    jumps = R.second_jumps(name)
    assert set(jumps) <= {p.at for p in points}, "a jump of g″ the lesson does not show"
    for p in points:
        with mpmath.workdps(R.DPS):  # g′ just left and right of the point, from the reference
            eps = mpmath.mpf(10) ** -40
            left, right = (R.CATALOGUE_REFS[name](mpmath.mpf(p.at) + s * eps, {})[1]
                           for s in (-1, 1))
        if p.dg is None:
            assert abs(left - right) < 1e-30, (name, p.at)  # g′ is continuous there
        else:
            weight = p.dg[1] - p.dg[0]
            assert abs(right - left) > 1e-30 and ulp(weight, right - left) <= BOUND, (name, p.at)
            assert f"jumps by {weight!r}, so g″ there is a delta of weight {weight!r}" in out
        if p.d2g is None:
            assert p.at not in jumps
        else:
            want_left, want_right = jumps[p.at][:2]
            assert ulp(p.d2g[0], want_left) <= BOUND and ulp(p.d2g[1], want_right) <= BOUND
            assert f"g″ is {p.d2g[0]!r} from the left, {p.d2g[1]!r} from the right" in out
        for framework, value in p.frameworks:
            assert ulp(value, expected_second(name, p.at, framework.lower())) <= BOUND
        returns = (f"PyTorch's double backward returns {p.frameworks[0][1]!r}, JAX's "
                   f"{p.frameworks[1][1]!r}." if len(p.frameworks) == 2 else
                   f"{p.frameworks[0][0]}'s double backward returns {p.frameworks[0][1]!r}.")
        assert returns in out, (name, p.at)


def test_piecewise_linear_kinks_are_deltas_and_double_backward_gives_0():
    out = flat(ok("explain", "relu"))
    assert "g″ = δ(z), the Dirac delta" in out
    assert ("z = 0.0: g′ jumps by 1.0, so g″ there is a delta of weight 1.0; PyTorch's double "
            "backward returns 0.0, JAX's 0.0.") in out
    assert "Where g″ itself jumps" not in out  # relu″ has no jump of its own
    assert "g′ and g″ are continuous everywhere" in flat(ok("explain", "tanh"))


@pytest.mark.parametrize("name,z", [("sigmoid", 40.0), ("elu", -40.0)])
def test_collapse_of_g2_from_the_rounded_output_is_shown_live(name, z):
    f = actgrad.get(name)
    out = flat(ok("explain", name))
    a = float(f(z))
    assert R.second_from_output(name, a) == 0  # a has rounded to its limit: g″ from a is 0
    exact = R.second(name, z)
    assert exact != 0
    m = re.search(rf"Computed now at z = {z!r}: a = {a!r}; g″ from z = (\S+), g″ from a = "
                  r"(\S+)\.", out)
    assert m, out[-600:]
    assert ulp(float(m[1]), exact) <= BOUND and float(m[2]) == 0.0


def test_lesson_without_g2_texts_says_so(monkeypatch):
    real = lessons.load

    def without(lang):
        data = dict(real(lang))
        data["functions"] = {**data["functions"], "tanh": {
            k: v for k, v in data["functions"]["tanh"].items() if k not in lessons.SECOND_KEYS}}
        return data

    monkeypatch.setattr(lessons, "load", without)
    out = flat(lessons.render_plain(lessons.lesson(actgrad.get("tanh"), "en")))
    assert "There is no hand-written derivation of tanh″ in English yet" in out
    assert "−2·tanh(z)·tanh′(z)" in out  # the formula and the live numbers are still there
    assert repr(float(actgrad.get("tanh").deriv(10.0, order=2))) in out


def test_sigmoid_in_hindi_derives_g2():
    out = ok("explain", "sigmoid", "--lang", "hi", env={"COLUMNS": "80"})
    hi = lessons.load("hi")
    assert hi["headings"]["second"] in out and "g″ = a·(1 − a)·(1 − 2a)" in out
    assert flat(hi["functions"]["sigmoid"]["second_precision"]) in flat(out)
    assert "अभी निकाला गया, z = 40.0 पर: a = 1.0;" in flat(out)
    assert devanagari_share(out) > 0.5


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
