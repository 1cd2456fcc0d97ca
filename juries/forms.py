"""HTML forms of juries: parsing and field-level checks only; rules live in services."""

from typing import cast

from django import forms

from candidates.models import Dossier
from juries.models import MEMBER_FIELDS, Jury, JuryMember
from referentiels.models import Referentiel

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class JuryForm(forms.Form):
    referentiel: "forms.ModelChoiceField[Referentiel]" = forms.ModelChoiceField(
        label="Référentiel", queryset=None, empty_label="— choisir —"
    )
    intitule = forms.CharField(label="Intitulé du jury", max_length=200)
    date = forms.DateField(label="Date de délibération", widget=DATE)
    lieu = forms.CharField(label="Lieu", max_length=200)
    date_dernier_examen = forms.DateField(
        label="Date du dernier examen",
        widget=DATE,
        required=False,
        help_text="Point de départ du délai de publication des résultats (par défaut : la date du jury).",
    )

    def __init__(self, *args, referentiels, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["referentiel"].queryset = referentiels
        self.fields["referentiel"].label_from_instance = lambda r: (
            f"{r.code} v{r.version} — {r.intitule[:80]}"
        )


class MemberForm(forms.ModelForm):
    class Meta:
        model = JuryMember
        fields = list(MEMBER_FIELDS)
        help_texts = {
            "email": "Sans compte dans le centre, la personne reçoit une invitation (rôle membre de jury)."
        }


class _DossierChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Dossier) -> str:
        return f"{obj.candidate.nom_complet} — tentative {obj.attempt}"


class DossiersForm(forms.Form):
    dossiers: "forms.ModelMultipleChoiceField[Dossier]" = _DossierChoiceField(
        label="Dossiers prêts pour le jury", queryset=None, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, jury: Jury, **kwargs):
        super().__init__(*args, **kwargs)
        qs = (
            Dossier.objects.filter(referentiel=jury.referentiel, status=Dossier.Status.PRET_POUR_JURY)
            .exclude(pk__in=jury.decisions.values("dossier_id"))
            .select_related("candidate")
            .order_by("candidate__nom_naissance", "candidate__prenom1")
        )
        cast("forms.ModelMultipleChoiceField[Dossier]", self.fields["dossiers"]).queryset = qs


class OverrideForm(forms.Form):
    decision = forms.ChoiceField(
        label="Décision du jury", choices=[c for c in Dossier.Decision.choices if c[0]]
    )
    blocs_valides = forms.MultipleChoiceField(
        label="Blocs validés", required=False, widget=forms.CheckboxSelectMultiple
    )
    motivation = forms.CharField(
        label="Motivation écrite",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Obligatoire quand le jury s'écarte de la proposition.",
    )

    def __init__(self, *args, blocs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["blocs_valides"].choices = blocs


class SignForm(forms.Form):
    code = forms.CharField(
        label="Code de votre application d'authentification",
        max_length=10,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]*"}
        ),
        help_text="Votre signature est enregistrée avec l'heure, votre adresse IP et l'empreinte SHA-256 du procès-verbal.",
    )


class RectificationForm(forms.Form):
    nouvelle_decision = forms.ChoiceField(
        label="Décision rectifiée", choices=[c for c in Dossier.Decision.choices if c[0]]
    )
    blocs_valides = forms.MultipleChoiceField(
        label="Blocs validés", required=False, widget=forms.CheckboxSelectMultiple
    )
    motif = forms.CharField(label="Motif de la rectification", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, blocs, decisions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["blocs_valides"].choices = blocs
        if decisions is not None:
            self.fields["nouvelle_decision"].choices = decisions
        if not blocs:
            del self.fields["blocs_valides"]
