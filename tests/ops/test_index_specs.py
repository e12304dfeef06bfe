"""The pure comparison of index definitions (no database)."""

from __future__ import annotations

from pymongo import IndexModel

from sentimatrix.ops.indexes import creation_key, diff_collection, spec_from_index_document


def spec(**document):
    return spec_from_index_document(document)


def test_server_text_index_form_equals_the_declaration() -> None:
    declared = spec_from_index_document(
        IndexModel([("content.text", "text"), ("content.title", "text")], name="t", weights={"content.title": 3},
                   default_language="none").document
    )  # fmt: skip
    # A real server reports the key as _fts/_ftsx and lists the paths in weights.
    server = spec(
        name="t", key={"_fts": "text", "_ftsx": 1}, weights={"content.text": 1, "content.title": 3},
        default_language="none", language_override="language", textIndexVersion=3, v=2,
    )  # fmt: skip
    assert declared.same_definition(server)
    assert creation_key(declared) == [("content.text", "text"), ("content.title", "text")]


def test_text_weights_and_language_are_compared_when_reported() -> None:
    declared = spec(name="t", key={"a": "text"}, weights={"a": 2}, default_language="none")
    other_weight = spec(name="t", key={"_fts": "text", "_ftsx": 1}, weights={"a": 1}, default_language="none")
    other_language = spec(name="t", key={"_fts": "text", "_ftsx": 1}, weights={"a": 2}, default_language="english")
    assert not declared.same_definition(other_weight)
    assert not declared.same_definition(other_language)
    # The emulated engine keeps only the key: the paths are still compared.
    emulated = spec(name="t", key={"a": "text"}, v=2)
    assert declared.same_definition(emulated)
    assert not declared.same_definition(spec(name="t", key={"b": "text"}))


def test_ttl_sparse_unique_and_partial_options_matter() -> None:
    base = spec(name="i", key=[("a", 1)], expireAfterSeconds=60)
    assert base.same_definition(spec(name="i", key={"a": 1.0}, expireAfterSeconds=60, v=2, background=True))
    assert not base.same_definition(spec(name="i", key={"a": 1}, expireAfterSeconds=61))
    assert not base.same_definition(spec(name="i", key={"a": 1}))
    assert not spec(name="i", key={"a": 1}).same_definition(spec(name="i", key={"a": 1}, sparse=True))
    assert not spec(name="i", key={"a": 1}).same_definition(spec(name="i", key={"a": 1}, unique=True))
    assert spec(name="i", key={"a": 1}).same_definition(spec(name="i", key={"a": 1}, unique=False))
    assert not spec(name="i", key={"a": 1}).same_definition(spec(name="i", key={"a": -1}))
    # key order inside a partial filter document does not matter; its content does
    p1 = spec(
        name="u",
        key={"a": 1, "b": 1},
        unique=True,
        partialFilterExpression={"a": {"$type": "string"}, "b": {"$type": "objectId"}},
    )
    p2 = spec(
        name="u",
        key={"a": 1, "b": 1},
        unique=True,
        partialFilterExpression={"b": {"$type": "objectId"}, "a": {"$type": "string"}},
    )
    p3 = spec(name="u", key={"a": 1, "b": 1}, unique=True, partialFilterExpression={"a": {"$type": "string"}})
    assert p1.same_definition(p2)
    assert not p1.same_definition(p3)  # fmt: skip


def test_compound_key_order_matters() -> None:
    assert not spec(name="c", key=[("a", 1), ("b", -1)]).same_definition(spec(name="c", key=[("b", -1), ("a", 1)]))


def test_diff_reports_missing_undeclared_and_changed_and_ignores_id() -> None:
    declared = [
        spec(name="keep", key={"a": 1}),
        spec(name="gone", key={"b": 1}),
        spec(name="ttl", key={"c": 1}, expireAfterSeconds=10),
    ]
    actual = [
        spec(name="_id_", key={"_id": 1}),
        spec(name="keep", key={"a": 1}),
        spec(name="ttl", key={"c": 1}, expireAfterSeconds=20),
        spec(name="extra", key={"z": 1}),
    ]
    drift = diff_collection("things", declared, actual)
    assert [s.name for s in drift.missing] == ["gone"]
    assert [s.name for s in drift.undeclared] == ["extra"]
    assert [(d.name, a.name) for d, a in drift.changed] == [("ttl", "ttl")]
    assert not drift.clean
    text = "\n".join(drift.lines())
    assert "missing    gone {b:1}" in text and "undeclared extra {z:1}" in text
    assert "expireAfterSeconds=10" in text and "expireAfterSeconds=20" in text
    assert diff_collection("things", declared[:1], actual[:2]).clean
