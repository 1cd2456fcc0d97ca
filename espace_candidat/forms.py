from django import forms

from candidates.models import Piece
from espace_candidat.models import Contrat, RattrapageRequest, Situation


class IdentityForm(forms.Form):
    nom_naissance = forms.CharField(label="Nom de naissance", max_length=60)
    nom_usage = forms.CharField(label="Nom d'usage", max_length=60, required=False)
    prenom1 = forms.CharField(label="Premier prénom", max_length=60)
    prenom2 = forms.CharField(label="Deuxième prénom", max_length=60, required=False)
    prenom3 = forms.CharField(label="Troisième prénom", max_length=60, required=False)
    naissance_jour = forms.IntegerField(label="Jour de naissance", min_value=1, max_value=31, required=False)
    naissance_mois = forms.IntegerField(label="Mois de naissance", min_value=1, max_value=12, required=False)
    naissance_annee = forms.IntegerField(label="Année de naissance", min_value=1900, max_value=2099)
    naissance_commune = forms.CharField(label="Commune de naissance", max_length=60, required=False)
    naissance_pays = forms.CharField(label="Pays de naissance", max_length=60, required=False)
    commentaire = forms.CharField(
        label="Commentaire pour le centre (facultatif)",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )


class PieceForm(forms.Form):
    kind = forms.ChoiceField(label="Pièce", choices=())
    file = forms.FileField(label="Fichier (PDF, image ou document bureautique)")

    def __init__(self, *args, kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = list(kinds)


class RattrapageForm(forms.Form):
    motif = forms.ChoiceField(
        label="Motif", choices=RattrapageRequest.Motif.choices, widget=forms.RadioSelect
    )
    justification = forms.CharField(label="Votre demande écrite", widget=forms.Textarea(attrs={"rows": 4}))
    file = forms.FileField(label="Justificatif (certificat, arrêt de travail…)", required=False)


class SuiviForm(forms.Form):
    email = forms.EmailField(label="Adresse e-mail pour les enquêtes")
    telephone = forms.CharField(label="Téléphone", max_length=30, required=False)
    adresse = forms.CharField(label="Adresse", max_length=200, required=False)
    code_postal = forms.CharField(label="Code postal", max_length=10, required=False)
    ville = forms.CharField(label="Ville", max_length=100, required=False)
    situation = forms.ChoiceField(
        label="Votre situation aujourd'hui", choices=Situation.choices, widget=forms.RadioSelect
    )


class EnqueteForm(forms.Form):
    situation = forms.ChoiceField(
        label="Votre situation actuelle", choices=Situation.choices, widget=forms.RadioSelect
    )
    en_lien = forms.TypedChoiceField(
        label="Si vous êtes en emploi : cet emploi est-il en lien avec la certification obtenue ?",
        choices=[("", "—"), ("oui", "Oui"), ("non", "Non")],
        coerce=lambda v: {"oui": True, "non": False}.get(v),
        empty_value=None,
        required=False,
    )
    contrat = forms.ChoiceField(
        label="Si vous êtes en emploi : type de contrat",
        choices=[("", "—"), *Contrat.choices],
        required=False,
    )
    poste = forms.CharField(
        label="Si vous êtes en emploi : intitulé du poste", max_length=200, required=False
    )


class DecideForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accepter", "Accepter"), ("refuser", "Refuser")])
    reponse = forms.CharField(
        label="Réponse au candidat", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class TransmitForm(forms.Form):
    code = forms.CharField(max_length=100)
    annee = forms.IntegerField(min_value=1900, max_value=2100)


__all__ = ["Piece"]
