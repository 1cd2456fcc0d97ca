from typing import Any

from django import forms
from django.conf import settings

from certificateur.models import CdcCompte

DATE_INPUT: dict[str, Any] = {
    "input_formats": ["%d/%m/%Y"],
    "widget": forms.TextInput(attrs={"placeholder": "jj/mm/aaaa"}),
}


class CdcCompteForm(forms.ModelForm):
    class Meta:
        model = CdcCompte
        fields = ["id_client", "id_contrat", "emetteur_id_client", "tiers_de_confiance"]
        help_texts = {
            "id_client": "8 caractères, communiqué par la Caisse des Dépôts à l'inscription.",
            "id_contrat": "1 à 20 caractères.",
        }


class FluxForm(forms.Form):
    du = forms.DateField(label="Délivrés depuis le", required=False, **DATE_INPUT)
    au = forms.DateField(label="jusqu'au", required=False, **DATE_INPUT)

    def clean(self):
        data = super().clean()
        if data.get("du") and data.get("au") and data["au"] < data["du"]:
            self.add_error("au", "La fin de période précède son début.")
        return data


class RapportForm(forms.Form):
    fichier = forms.FileField(label="Accusé de traitement de la CDC (XML)")

    def clean_fichier(self):
        f = self.cleaned_data["fichier"]
        if f.size > settings.FILE_UPLOAD_MAX_BYTES:
            raise forms.ValidationError("Fichier trop volumineux.")
        return f


class TransmissionForm(forms.Form):
    transmis_le = forms.DateField(
        label="Transmis le", required=False, help_text="Aujourd'hui si vide.", **DATE_INPUT
    )
