"""HTML forms of evaluations: parsing and field-level checks only; rules live in services."""

import datetime as dt
from collections.abc import Mapping

from django import forms

from candidates.models import Dossier
from core.errors import ApplicationError
from evaluations.models import AvisCapacite, Incident, InscriptionEpreuve
from organisations.forms import InvitationAcceptForm
from referentiels.models import Bloc, Capacite, Modalite, Referentiel

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class SessionForm(forms.Form):
    intitule = forms.CharField(
        label="Intitulé", max_length=200, help_text="Par exemple : « Session de juin 2026 — promotion B »."
    )
    referentiel: "forms.ModelChoiceField[Referentiel]" = forms.ModelChoiceField(
        label="Référentiel", queryset=None, empty_label="— choisir —"
    )
    lieu = forms.CharField(label="Lieu par défaut des épreuves", max_length=200, required=False)

    def __init__(self, *args, referentiels, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["referentiel"].queryset = referentiels
        self.fields["referentiel"].label_from_instance = lambda r: (
            f"{r.code} v{r.version} — {r.intitule[:80]}"
        )


class EpreuveForm(forms.Form):
    intitule = forms.CharField(label="Intitulé", max_length=200)
    date = forms.DateField(label="Date", widget=DATE, input_formats=["%Y-%m-%d", "%d/%m/%Y"])
    heure_debut = forms.TimeField(label="Heure de début", widget=TIME)
    duree_minutes = forms.IntegerField(
        label="Durée (minutes)",
        min_value=1,
        max_value=1440,
        help_text="Sans aménagement ; le tiers-temps est ajouté automatiquement.",
    )
    lieu = forms.CharField(
        label="Lieu", max_length=200, required=False, help_text="Par défaut : le lieu de la session."
    )
    salle = forms.CharField(label="Salle", max_length=100, required=False)
    surveillants = forms.CharField(label="Surveillants", max_length=300, required=False)
    cible = forms.ChoiceField(label="Ce que l'épreuve évalue")
    capacites = forms.MultipleChoiceField(
        label="Capacités couvertes", required=False, widget=forms.CheckboxSelectMultiple
    )
    modalite = forms.ChoiceField(label="Modalité d'évaluation", required=False)
    double_correction = forms.BooleanField(
        label="Double correction (deux évaluateurs)",
        required=False,
        help_text="Toujours appliquée quand le référentiel l'exige pour la modalité choisie.",
    )
    evaluateurs = forms.MultipleChoiceField(
        label="Évaluateurs", required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, session, evaluateurs, **kwargs):
        from referentiels.regles import regle_parse

        super().__init__(*args, **kwargs)
        ref = session.referentiel
        regle = regle_parse(ref.regle)
        if regle.par_points:
            choices = [(f"bloc:{b.pk}", f"Bloc {b.code} — épreuves") for b in ref.blocs.order_by("order")]
            choices += [
                (f"composante:{c.code}", f"Évaluation professionnelle — {c.libelle}")
                for c in regle.evaluation_professionnelle.composantes
            ]
            del self.fields["capacites"]
        else:
            choices = [("capacites", "Les capacités cochées ci-dessous")]
            self.fields["capacites"].choices = [
                (c.code, f"{c.code} — {c.intitule[:90]}")
                for c in Capacite.objects.filter(referentiel=ref).order_by("bloc__order", "order")
            ]
        self.fields["cible"].choices = choices
        from evaluations.services import modalite_label

        # identical wordings (« Étude de cas » in every bloc) are told apart by their bloc/capacité
        self.fields["modalite"].choices = [("", "—")] + [
            (
                str(m.pk),
                f"{modalite_label(m, ref.mot_capacite)}"
                f"{' (double correction exigée)' if m.double_correction else ''}",
            )
            for m in Modalite.objects.filter(referentiel=ref)
            .select_related("bloc", "capacite")
            .order_by("bloc__order", "capacite__bloc__order", "capacite__order", "order", "pk")
        ]
        self.evaluateur_users = {str(u.pk): u for u in evaluateurs}
        self.fields["evaluateurs"].choices = [
            (str(u.pk), f"{u.get_full_name() or u.email} ({u.email})") for u in evaluateurs
        ]

    def service_fields(self, session) -> dict:

        data = self.cleaned_data
        fields = {
            k: data[k]
            for k in (
                "intitule",
                "date",
                "heure_debut",
                "duree_minutes",
                "lieu",
                "salle",
                "surveillants",
                "double_correction",
            )
        }
        cible = data["cible"]
        if cible.startswith("bloc:"):
            fields["bloc"] = Bloc.objects.filter(referentiel=session.referentiel_id, pk=cible[5:]).first()
        elif cible.startswith("composante:"):
            fields["composante"] = cible.split(":", 1)[1]
        else:
            fields["capacites"] = data.get("capacites") or []
        if data.get("modalite"):
            fields["modalite"] = Modalite.objects.filter(
                referentiel=session.referentiel_id, pk=data["modalite"]
            ).first()
        fields["evaluateurs"] = [
            self.evaluateur_users[k] for k in data.get("evaluateurs", []) if k in self.evaluateur_users
        ]
        return fields


class ConvocationForm(forms.Form):
    force = forms.BooleanField(label="Envoyer même si l'épreuve est à moins d'un mois", required=False)
    motif_forcage = forms.CharField(
        label="Motif de l'envoi tardif", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    renvoi = forms.BooleanField(label="Renvoyer aussi aux candidats déjà convoqués", required=False)
    motif_renvoi = forms.CharField(label="Motif du renvoi", required=False, max_length=300)


# The presence a page records (not « non renseignée ») and the absence reasons, in order.
PRESENCE_CHOICES = InscriptionEpreuve.Presence.choices[1:]
MOTIF_CHOICES = InscriptionEpreuve.Motif.choices


class PresenceForm(forms.Form):
    presence = forms.ChoiceField(label="Présence", choices=PRESENCE_CHOICES)
    motif = forms.ChoiceField(label="Motif d'absence", choices=MOTIF_CHOICES, required=False)
    justification = forms.CharField(label="Justification", required=False, max_length=500)


class IncidentForm(forms.Form):
    kind = forms.ChoiceField(label="Nature", choices=Incident.Kind.choices)
    pv = forms.CharField(label="Procès-verbal d'incident", widget=forms.Textarea(attrs={"rows": 3}))
    contreseing = forms.ChoiceField(
        label="Contreseing du candidat", choices=Incident.Contreseing.choices, widget=forms.RadioSelect
    )


class ResolutionForm(forms.Form):
    valeur = forms.CharField(label="Valeur retenue", max_length=20)
    motif = forms.CharField(label="Motif", max_length=500)


class SuiviForm(forms.Form):
    taux_absence = forms.DecimalField(
        label="Taux d'absence non justifiée en formation (%)",
        min_value=0,
        max_value=100,
        decimal_places=2,
        required=False,
    )


class AvisRequestForm(forms.Form):
    dossier: "forms.ModelChoiceField[Dossier]" = forms.ModelChoiceField(
        label="Dossier", queryset=None, empty_label="— choisir —"
    )
    date_limite = forms.DateField(label="Date limite", widget=DATE, input_formats=["%Y-%m-%d", "%d/%m/%Y"])

    def __init__(self, *args, dossiers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dossier"].queryset = dossiers
        self.fields["dossier"].label_from_instance = lambda d: (
            f"{d.candidate.nom_complet} — {d.referentiel.code} (tuteur : {d.tuteur})"
        )


class AvisExtendForm(forms.Form):
    date_limite = forms.DateField(
        label="Nouvelle date limite", widget=DATE, input_formats=["%Y-%m-%d", "%d/%m/%Y"]
    )


class AvisLinkAcceptForm(InvitationAcceptForm):
    """The tuteur's first visit: name and password of the new account."""


AVIS_CHOICES = AvisCapacite.Avis.choices


class ControleContinuImportForm(forms.Form):
    """A session's contrôle continu, one line per dossier and one column per bloc (CSV or XLSX)."""

    MAX_BYTES = 5 * 1024 * 1024

    file = forms.FileField(
        label="Fichier CSV ou XLSX",
        help_text="Le modèle de cette page : colonne « dossier », puis une colonne par bloc ; une case vide laisse la note telle quelle.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError("Fichier trop volumineux (au plus 5 Mo).")
        data = upload.read()
        if data[:4] == b"PK\x03\x04":
            self.cleaned_data["file_format"] = "xlsx"
        elif upload.name.lower().endswith((".csv", ".txt")) and b"\x00" not in data[:4096]:
            self.cleaned_data["file_format"] = "csv"
        else:
            raise forms.ValidationError("Format non reconnu : déposez un fichier CSV ou XLSX.")
        self.cleaned_data["data"] = data
        return upload


def entretien_posted(data: Mapping[str, str]) -> dict:
    """The commission's entretien form read into ``entretien_record``'s arguments (date, participants,
    conclusions per capacité code); a bad date raises ``ApplicationError`` in French."""
    try:
        day = dt.date.fromisoformat(data.get("date", ""))
    except ValueError:
        raise ApplicationError("Date de l'entretien invalide (jj/mm/aaaa).", field="date") from None
    codes = [k[len("conclusion-") :] for k in data if k.startswith("conclusion-")]
    return {
        "date": day,
        "participants": data.get("participants", ""),
        "conclusions": {
            code: (data.get(f"conclusion-{code}", ""), data.get(f"commentaire-{code}", "")) for code in codes
        },
    }
