from django import forms

from documents.models import DocumentKind, IssuedDocument

STATUS_FILTER = [("", "Tous"), *IssuedDocument.Status.choices, ("revoked", "Révoqués")]


class DocumentFilterForm(forms.Form):
    q = forms.CharField(
        label="Recherche",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Titulaire, numéro…"}),
    )
    kind = forms.ChoiceField(label="Type", required=False, choices=[("", "Tous"), *DocumentKind.choices])
    status = forms.ChoiceField(label="Statut", required=False, choices=STATUS_FILTER)
    groupe = forms.CharField(label="Lot", required=False, max_length=200)


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label="Motif de la révocation",
        min_length=5,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Affiché sur la page publique de vérification.",
    )


class ReissueForm(forms.Form):
    """A civil-status correction: the fields a parchemin shows about its holder."""

    holder_name = forms.CharField(label="Nom et prénom du titulaire", max_length=300)
    civilite_titulaire = forms.CharField(label="Civilité", max_length=20, required=False)
    naissance = forms.CharField(
        label="Mention de naissance",
        max_length=200,
        required=False,
        help_text="Par exemple : née le 03/02/1998 à Lyon (69)",
    )
    reason = forms.CharField(
        label="Motif de la réédition", min_length=5, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )

    CONTEXT_FIELDS = ("civilite_titulaire", "naissance")

    @classmethod
    def for_document(cls, document: IssuedDocument, data=None):
        initial = {
            "holder_name": document.holder_name,
            **{f: document.context.get(f, "") for f in cls.CONTEXT_FIELDS},
        }
        return cls(data, initial=initial)

    def context_changes(self, document: IssuedDocument) -> dict:
        changes = {}
        if self.cleaned_data["holder_name"].strip() != document.holder_name:
            changes["holder_name"] = self.cleaned_data["holder_name"].strip()
        for field in self.CONTEXT_FIELDS:
            value = self.cleaned_data[field].strip()
            if value != (document.context.get(field) or ""):
                changes[field] = value
        return changes
