"""The overlay's URL parameters: defaults, clamping, colour forms, and nothing unchecked passes."""
from ccc.hub.web.overlay import OverlayOptions, as_data, parse


def test_missing_parameters_give_the_defaults():
    assert parse({}) == OverlayOptions()


def test_numbers_are_clamped_and_nonsense_falls_back():
    assert parse({"lines": "0", "size": "5", "bgopacity": "-3"}) == OverlayOptions(lines=1, size=12, bgopacity=0)
    assert parse({"lines": "99", "size": "1e9", "bgopacity": "400"}) == OverlayOptions(lines=10, size=200,
                                                                                       bgopacity=100)
    assert parse({"lines": "nan", "size": "inf", "bgopacity": "half"}) == OverlayOptions()
    assert parse({"lines": "3.4"}).lines == 3


def test_colours_are_normalised_or_refused():
    options = parse({"color": "FF0", "bg": "#123456", "chroma": "00ff00"})
    assert (options.color, options.bg, options.chroma) == ("#ffff00", "#123456", "#00ff00")
    assert parse({"bg": "none", "chroma": "transparent"}).bg == "none"
    for bad in ("red", "#12345", "12345g", "url(x)", "fff;}", "#ffffff00", " " * 50):
        assert parse({"color": bad, "bg": bad, "chroma": bad}) == OverlayOptions(), bad


def test_choices_come_from_a_fixed_set():
    assert parse({"position": "TOP", "align": "right", "names": "0"}) == OverlayOptions(
        position="top", align="right", names=False)
    assert parse({"position": "middle", "align": '"><script>'}) == OverlayOptions()
    assert as_data(OverlayOptions())["names"] == "true"
