from django.apps import AppConfig


class CertificateurConfig(AppConfig):
    name = "certificateur"
    verbose_name = "Espace certificateur"

    def ready(self) -> None:
        # The dashboard panel registers itself on import.
        from certificateur import dashboard  # noqa: F401
        from certificateur.credentials import (
            credential_download,
            credential_for_document,
            credentials_revoke_for_document,
        )
        from documents import hooks

        # Revoking or re-issuing a document revokes its credentials; its pages serve the credential.
        hooks.register_revocation_listener(credentials_revoke_for_document)
        hooks.register_credential_provider(
            lambda *, document: credential_download(credential_for_document(document=document))
        )
