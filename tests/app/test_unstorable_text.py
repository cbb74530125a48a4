"""JSON bodies whose strings hold NUL or lone surrogates are refused (app/extensions.py).

The parser walks the parsed document only when the raw body has a `\\u0000` or `\\ud…`
escape: these tests pin that such text can arrive no other way.
"""

import json

from hypothesis import given
from hypothesis import strategies as st

from app.extensions import _has_unstorable_text, _may_hold_unstorable_text

json_text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=20)
documents = st.recursive(
    st.none() | st.booleans() | st.integers() | json_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(json_text, children, max_size=4)
    ),
    max_leaves=12,
)


@given(documents, st.booleans())
def test_a_body_that_decodes_to_unstorable_text_is_always_walked(document, ascii_only):
    body = json.dumps(document, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    try:
        parsed = json.loads(body.decode("utf-8"))  # what the parser does
    except (UnicodeDecodeError, ValueError):
        return  # refused before any walk
    if _has_unstorable_text(parsed):
        assert _may_hold_unstorable_text(body)


def test_escapes_in_either_case_are_caught():
    for body in (b'{"a": "\\u0000"}', b'{"a": "\\ud800"}', b'["\\uDFFF"]', b'{"\\uDc00": 1}'):
        assert _may_hold_unstorable_text(body)
        assert _has_unstorable_text(json.loads(body))


def test_an_ordinary_body_skips_the_walk():
    """As JavaScript's JSON.stringify writes it (only an escaped emoji's pair takes the walk)."""
    text = json.dumps(
        {"notes": "caf\u00e9 \u4e2d\u6587 \U0001f600 \\u0001", "n": 1}, ensure_ascii=False
    )
    assert not _may_hold_unstorable_text(text.encode())


def test_a_lone_surrogate_refused_through_the_api(client):
    response = client.post(
        "/api/v1/auth/login",
        data=b'{"login": "E1", "password": "\\uDC00 and more"}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "lone surrogates" in json.dumps(response.get_json())
