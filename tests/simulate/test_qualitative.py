"""Expected qualitative facts (issue 2), each from the literature cited in the docstring."""

import pytest

from dermalase import simulate


def run(src, fluence, tau, passes=1, site="cheek"):
    return simulate({"skin": {"site": site}, "laser": {"source": src, "pulse_duration": tau},
                     "delivery": {"fluence": fluence, "passes": passes}}).summary


def test_er_yag_ablates_more_per_fluence_and_coagulates_less_than_co2():
    """Er:YAG: efficient ablation with minimal thermal damage vs CO2 (Kaufmann & Hibst 1996;
    Walsh et al. 1988/1989)."""
    for F in ("7 J/cm^2", "15 J/cm^2"):
        er = run("er:yag", F, "250 us")
        co2 = run("co2", F, "250 us")
        assert er["ablation_depth_um"] > co2["ablation_depth_um"]
        assert er["coagulation_depth_um"] < 0.5 * co2["coagulation_depth_um"]


def test_longer_pulse_more_coagulation():
    """Longer pulse at the same fluence leaves more coagulation (Ross et al. LSM 1996;19:123;
    variable-pulse Er:YAG, StatPearls)."""
    for src, short, long_ in (("er:yag", "250 us", "10 ms"), ("co2", "100 us", "10 ms")):
        a = run(src, "10 J/cm^2", short)["coagulation_depth_um"]
        b = run(src, "10 J/cm^2", long_)["coagulation_depth_um"]
        assert b > a, (src, a, b)


@pytest.mark.xfail(strict=True, reason=(
    "Known gap: with the stratum corneum in place the first CO2 pass ablates no more than the "
    "second in the model (7 J/cm^2, 1 ms: 26 then 28 um). Char on the desiccated floor, which "
    "shields later passes (Fitzpatrick et al. 1999; Choi et al. 1999), is not modelled. See "
    "co2-ultrapulse-plateau in docs/validation.md."))
def test_second_co2_pass_ablates_less_coagulates_more():
    """Second CO2 pass ablates less and leaves more coagulation than the first (Fitzpatrick
    et al. 1999; Choi et al. 1999: desiccation governs later passes). Clinical setting."""
    one = run("co2", "7 J/cm^2", "1 ms", passes=1)
    two = run("co2", "7 J/cm^2", "1 ms", passes=2)
    per = two["ablation_per_pass_um"]
    assert per[1] < per[0], per
    assert two["coagulation_depth_um"] > one["coagulation_depth_um"]


def test_later_co2_passes_coagulate_more():
    """The coagulated layer thickens with passes at a clinical CO2 setting (Fitzpatrick et
    al. 1999: thermal necrosis grows with passes and stacking)."""
    one = run("co2", "7 J/cm^2", "1 ms", passes=1)
    three = run("co2", "7 J/cm^2", "1 ms", passes=3)
    assert three["coagulation_depth_um"] > one["coagulation_depth_um"]


def test_er_ysgg_coagulates_more_than_er_yag():
    """Er:YSGG (2,790 nm) is absorbed ~3x less by water than Er:YAG (Hale & Querry 1973), so it
    leaves more residual heat."""
    assert (run("er:ysgg", "10 J/cm^2", "250 us")["coagulation_depth_um"]
            > run("er:yag", "10 J/cm^2", "250 us")["coagulation_depth_um"])
