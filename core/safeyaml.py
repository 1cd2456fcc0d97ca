"""YAML read without aliases.

An alias (``*name``) repeats an anchored node by reference: eight levels of ten aliases make a
420-byte file expand into 10⁸ nodes once the document is turned into Python objects (« billion
laughs »). The formats read here never need one, so the loader refuses any alias at the first
one it meets, before anything is built: a document's cost is bounded by its length.
"""

import yaml


class NoAliasSafeLoader(yaml.SafeLoader):
    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None,
                None,
                f"les alias YAML (*{event.anchor}) ne sont pas acceptés : écrivez la valeur en entier",
                event.start_mark,
            )
        return super().compose_node(parent, index)


def safe_load(text):
    """``yaml.safe_load`` refusing aliases (raises ``yaml.YAMLError``)."""
    loader = NoAliasSafeLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
