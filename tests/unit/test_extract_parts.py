"""The extractor's parts: CSS tokens, sizes and keys in URLs, attribute values, stand-ins,
and the ranking of copies."""

from __future__ import annotations

import pytest

from imgharvest.extract.attrs import Found, judge, loose_numbers, tier
from imgharvest.extract.css import css_background_urls, declarations, url_tokens
from imgharvest.extract.group import Copy, pictures
from imgharvest.extract.junk import hidden_or_tiny_element, placeholder_url, tiny_copy
from imgharvest.extract.sizes import picture_key, url_size


def test_css_quoted_urls_keep_semicolons_braces_and_escapes() -> None:
    css = """a{background:url("x;y.jpg")} b{background-image:url('p{q}.png'), url(r.gif)}
             c{background:url("s\\"t.jpg")} d{src:url(font.woff2)} /* url(c.jpg) ' */"""
    assert list(css_background_urls(css)) == ["x;y.jpg", "p{q}.png", "r.gif", 's"t.jpg']


def test_css_declarations_split_outside_quotes_and_parentheses() -> None:
    assert list(declarations("color: red; background: Url(a;b.jpg) no-repeat")) == [
        ("background", " Url(a;b.jpg) no-repeat"),
    ]
    assert list(url_tokens("URL( 'a.jpg' ), url(b.jpg), url()")) == ["a.jpg", "b.jpg"]


@pytest.mark.parametrize(
    ("url", "size"),
    [
        ("https://x.example/wp/a-300x200.jpg", (300, 200)),
        ("https://x.example/a.jpg?w=640&h=480", (640, 480)),
        ("https://x.example/a.jpg?width=1200", (1200, None)),
        ("https://x.example/max/60/a.png?q=20", (60, None)),
        ("https://x.example/t/0x0:2300x1499/2420x1613/a.jpg", (2420, 1613)),
        ("https://x.example/image/upload/w_900,h_600,c_fill/a.jpg", (900, 600)),
        ("https://x.example/files/styles/image_1900/public/a.jpg", (1900, None)),
        ("https://x.example/photo/940.jpg", (None, None)),  # digits alone are a name
        ("https://x.example/photo/boat_800w.jpg", (800, None)),
        ("https://x.example/image/upload/w_800/v1/sea.jpg", (800, None)),
        ("https://lh3.example/abc=s1600", (1600, 1600)),
        ("https://x.example/2020/01/a.jpg", (None, None)),
    ],
)
def test_sizes_written_in_urls(url: str, size: tuple[int | None, int | None]) -> None:
    assert url_size(url) == size


def test_copies_of_one_picture_share_a_key_and_others_do_not() -> None:
    same = [
        "https://cdn.example/wp/harbour-300x200.jpg",
        "https://cdn.example/wp/harbour.webp",
        "https://www.cdn.example/wp/harbour@2x.jpg?w=800&s=abc",
        "https://proxy.example/client/q_80,w_760/https://cdn.example/wp/harbour.jpg",
    ]
    assert len({picture_key(u) for u in same}) == 1
    assert picture_key("https://cdn.example/wp/bridge.jpg") != picture_key(same[0])
    assert picture_key("https://x.example/g/bg_teaser4.jpg") != picture_key(
        "https://x.example/g/pic_blog.png"
    )
    assert picture_key("https://x.example/logo-small.png") == picture_key(
        "https://x.example/logo-large.png"
    )
    assert picture_key("https://x.example/p.jpg?id=1") != picture_key(
        "https://x.example/p.jpg?id=2"
    )


def test_attribute_values_are_judged_by_what_they_hold() -> None:
    assert list(judge("data-anything", "/m/a.jpg")) == [Found("/m/a.jpg")]
    assert list(judge("data-url", "https://site.example/articles/page")) == []
    assert list(judge("data-src", "https://img.example/uploads/abc")) == [
        Found("https://img.example/uploads/abc")
    ]
    assert list(judge("data-caption", "a photo of cat.jpg")) == []
    assert list(judge("data-x", "a.jpg 300w, b.jpg 900w")) == [
        Found("a.jpg", 300),
        Found("b.jpg", 900),
    ]
    assert [f.url for f in judge("data-x", "{not json")] == []
    assert [(f.url, f.tier) for f in judge("data-i", "[a.jpg, (small)], [b.jpg, (large)]")] == [
        ("a.jpg", 0),
        ("b.jpg", 2),
    ]


def test_json_objects_are_pictures_and_lists_of_sizes_one_picture() -> None:
    gallery = [(f.url, f.group) for f in judge("d", '[{"src":"/a.jpg"},{"src":"/b.jpg"}]')]
    assert gallery[0][1] != gallery[1][1]
    sizes = list(judge("d", '[{"w":300,"url":"/c-1.jpg"},{"w":900,"url":"/c-2.jpg"}]'))
    assert [(f.url, f.width) for f in sizes] == [("/c-1.jpg", 300), ("/c-2.jpg", 900)]
    assert sizes[0].group == sizes[1].group >= 0
    widths = [f.width for f in judge("d", '{"150":"/d-s.jpg","640":"/d-l.jpg"}')]
    assert widths == [150, 640]


def test_names_rank_copies() -> None:
    assert [tier(n) for n in ("data-orig-file", "data-src-retina", "data-src", "data-thumb")] == [
        3,
        2,
        1,
        0,
    ]


@pytest.mark.parametrize(
    "url",
    [
        "https://x.example/img/blank.gif",
        "https://x.example/spacer.png",
        "https://x.example/a3-lazy-load/lazy_placeholder.gif",
        "https://x.example/theme/missing-image.png",
        "https://x.example/image-lazy.png",
        "https://x.example/lazy/1x1.trans.gif",
        "https://x.example/favicon-32x32.png",
        "https://x.example/24x24/face.jpg",
        "https://x.example/api/analytics/stats/track.gif?a=1",
    ],
)
def test_stand_ins_are_recognised(url: str) -> None:
    assert placeholder_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://x.example/lazy-river.jpg",
        "https://x.example/blankets-on-sale.jpg",
        "/a-300x200.jpg",
    ],
)
def test_real_pictures_are_not_stand_ins(url: str) -> None:
    assert not placeholder_url(url)


def test_tiny_and_hidden_elements_and_previews() -> None:
    assert hidden_or_tiny_element({"width": "1", "height": "1"})
    assert hidden_or_tiny_element({"width": "16", "height": "16"})
    assert hidden_or_tiny_element({"style": "display: none"})
    assert hidden_or_tiny_element({"style": "position:absolute;left:-9999px"})
    assert not hidden_or_tiny_element({"style": "display: none"}, lazy=True)
    assert hidden_or_tiny_element({"style": "display: none", "width": "1"}, lazy=True)
    assert not hidden_or_tiny_element({"width": "640", "height": "16", "style": "width: 100%"})
    assert tiny_copy("https://x.example/max/60/a.png?q=20")
    assert not tiny_copy("https://x.example/max/600/a.png")


def test_largest_copy_first_then_fallbacks_in_order() -> None:
    copies = [
        Copy("https://c.example/a-300x200.jpg", "img", slot=1, tier=0.5),
        Copy("https://c.example/a-1024x683.jpg", "srcset", 1024, slot=1),
        Copy("https://c.example/a.jpg", "srcset", slot=1),
        Copy("https://c.example/max/40/a.jpg", "lazy", slot=1),
        Copy("https://c.example/b.jpg", "img", slot=2),
    ]
    found = pictures(copies)
    assert [(p.best.url, p.fallbacks) for p in found] == [
        (
            "https://c.example/a.jpg",
            ("https://c.example/a-1024x683.jpg", "https://c.example/a-300x200.jpg"),
        ),
        ("https://c.example/b.jpg", ()),
    ]


def test_double_escaped_ampersands_are_undone_and_other_entities_kept() -> None:
    from imgharvest import extract_images

    html = '<img src="/a.jpg?x=1&amp;amp;w=2"><img src="/b.jpg?x=1&amp;copy=2;">'
    assert [r.url for r in extract_images(html, "https://ex.com/")] == [
        "https://ex.com/a.jpg?x=1&w=2",
        "https://ex.com/b.jpg?x=1&copy=2;",
    ]


def test_deep_or_huge_json_in_an_attribute_is_bounded() -> None:
    deep = "[" * 5000 + '"/a.jpg"' + "]" * 5000
    assert list(judge("data-x", deep)) == []
    nested = '{"a":' * 40 + '"/m/deep.jpg"' + "}" * 40
    assert list(judge("data-x", nested)) == []
    assert [f.url for f in judge("data-x", '{"a":{"b":"/m/ok.jpg"}}')] == ["/m/ok.jpg"]


@pytest.mark.parametrize(
    "html",
    [
        '<img src="http://[::1">',
        '<img src="http://[::1?x=1">',
        '<div data-src="http://[::1/img/a">',
        '<div style="background:url(\'unterminated">',
        '<div data-x="url(">',
        '<div data-x="[[[">',
        '<div data-x=\'{"src": 5, "w": true}\'>',
        '<div data-x="&lt;img src=&quot;&quot;&gt;">',
        '<meta property="og:image" content="http://[::1">',
        "<style>" + 'a{background:url("' * 500 + "</style>",
    ],
)
def test_malformed_markup_never_raises(html: str) -> None:
    from imgharvest import extract_images

    assert all(r.url.startswith("https://ex.com/") for r in extract_images(html, "https://ex.com/"))


def test_a_content_id_names_one_picture_and_file_names_tell_a_folder_apart() -> None:
    uuid = "https://v.example/1fb5ee36-d9ae-4125-96d9-f52eb403f1c9"
    hexid = "9c97da26f6eeee98fc2e628ca3416226"
    assert picture_key(uuid) == picture_key(uuid + "/scale-to-width-down/1200")
    assert picture_key(f"https://a.example/static/{hexid}/dc9f7/seo.png") == picture_key(
        f"https://b.example/static/{hexid}/57090/seo.png"
    )
    assert picture_key(f"https://a.example/u/{hexid}/one.jpg") != picture_key(
        f"https://a.example/u/{hexid}/two.jpg"
    )
    found = pictures(
        [
            Copy(uuid + "/scale-to-width-down/627", "img", slot=1),
            Copy(uuid, "og:image"),
            Copy(uuid + "/thumbnail-down/width/1280/height/720", "lazy"),
        ]
    )
    assert [p.best.url for p in found] == [uuid]


def test_a_copy_stated_one_pixel_wide_is_no_fallback() -> None:
    from imgharvest import extract_images

    html = '<img src="/a.jpg" srcset="/a.jpg 800w, /first.jpg 1w, /a-2.jpg 400w">'
    found = extract_images(html, "https://ex.com/")
    assert [(r.url, r.fallbacks) for r in found] == [
        ("https://ex.com/a.jpg", ("https://ex.com/a-2.jpg",))
    ]


def test_a_file_named_large_outranks_its_small_copy() -> None:
    copies = [Copy("https://c.example/logo-small.png", "background"),
              Copy("https://c.example/logo-large.png", "background")]  # fmt: skip
    assert [(p.best.url, p.fallbacks) for p in pictures(copies)] == [
        ("https://c.example/logo-large.png", ("https://c.example/logo-small.png",))
    ]


@pytest.mark.parametrize(
    "value",
    [
        "[{'src':'/a-small.png','width':320}, {'src':'/a-large.png','width':1280},]",
        "[{src: '/a-small.png', width: 320}, {src: '/a-large.png', width: 1280}]",
        '[{"src":"/a-small.png","width":"320px"},{"src":"/a-large.png","width":"1280"},]',
    ],
)
def test_javascript_ish_size_lists_are_read(value: str) -> None:
    """Single quotes, unquoted keys and trailing commas: one picture, widths kept."""
    found = {(f.url, f.width) for f in judge("data-frz-src-array", value)}
    assert found == {("/a-small.png", 320), ("/a-large.png", 1280)}
    assert len({f.group for f in judge("data-frz-src-array", value)}) == 1


@pytest.mark.parametrize(
    ("value", "sizes"),
    [
        ("[320, 640, 1280]", [320, 640, 1280]),
        ("['240','480']", [240, 480]),
        ("300,600 ,1200", [300, 600, 1200]),
        ("320w 640w", [320, 640]),
        ("800", [800]),
        ("(max-width: 600px) 100vw", []),
        ("[1, 2]", []),  # not sizes of a picture
        ("", []),
    ],
)
def test_size_lists_in_any_loose_form(value: str, sizes: list[int]) -> None:
    assert loose_numbers(value) == sizes
