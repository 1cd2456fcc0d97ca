"""Documents of a jury, requested from the documents layer after the last signature."""


def jury_documents_request(*, jury, by) -> None:
    return None


def rectification_documents_request(*, rectification, by) -> None:
    return None
