from django import forms

from documents.models import IDENTITY_FIELDS, DocumentKind, IssuedDocument

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
    category = forms.ChoiceField(
        label="Catégorie publique",
        choices=[("retrait", "Retrait décidé par l'organisme"), ("erreur", "Document délivré par erreur")],
        help_text="Seule cette catégorie et la date figurent sur la page publique de vérification.",
    )
    reason = forms.CharField(
        label="Motif de la révocation (interne)",
        min_length=5,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Conservé au dossier et au journal ; jamais affiché publiquement.",
    )


class ReissueForm(forms.Form):
    """A civil-status correction request: the holder's identity only, a reason and a pièce."""

    civilite = forms.ChoiceField(label="Civilité", choices=[("MME", "Madame"), ("M", "Monsieur")])
    sexe = forms.ChoiceField(label="Sexe", choices=[("F", "Féminin"), ("M", "Masculin")])
    nom_naissance = forms.CharField(label="Nom de naissance", max_length=60)
    nom_usage = forms.CharField(label="Nom d'usage", max_length=60, required=False)
    prenom1 = forms.CharField(label="Premier prénom", max_length=60)
    prenom2 = forms.CharField(label="Deuxième prénom", max_length=60, required=False)
    prenom3 = forms.CharField(label="Troisième prénom", max_length=60, required=False)
    naissance_jour = forms.IntegerField(label="Jour de naissance", required=False, min_value=1, max_value=31)
    naissance_mois = forms.IntegerField(label="Mois de naissance", required=False, min_value=1, max_value=12)
    naissance_annee = forms.IntegerField(label="Année de naissance", min_value=1900, max_value=2100)
    naissance_commune = forms.CharField(label="Commune de naissance", max_length=60, required=False)
    reason = forms.CharField(
        label="Motif de la correction",
        min_length=5,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    piece = forms.FileField(
        label="Pièce justificative (PDF, PNG ou JPEG)",
        help_text="Acte d'état civil, jugement ou pièce d'identité. Une autre personne de l'organisme approuvera.",
    )

    IDENTITY = IDENTITY_FIELDS

    @classmethod
    def for_document(cls, document: IssuedDocument, data=None, files=None, candidate=None):
        initial = {f: getattr(candidate, f, "") for f in cls.IDENTITY} if candidate is not None else {}
        return cls(data, files, initial=initial)

    def identity(self) -> dict:
        return {f: self.cleaned_data[f] for f in self.IDENTITY}
