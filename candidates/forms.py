"""HTML forms: parsing and field-level checks only; rules live in services."""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms.boundfield import BoundField
from django.urls import reverse

from candidates.models import Candidate, Dossier, Entreprise, Piece, Tuteur
from candidates.selectors import parse_birth
from candidates.sniffing import ACCEPT_ATTRIBUTE
from candidates.validators import validate_siret
from core.identity import BIRTH_PLACE_CODE_FIELDS, CONTACT_FIELDS, NAME_FIELDS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DescribedBoundField(BoundField):
    """``aria-describedby`` names the help text and, once there are errors, the error message
    (ids ``<id>_aide`` and ``<id>_erreur`` of ``candidates/partials/field.html``); Django adds
    ``aria-invalid``."""

    @property
    def aria_describedby(self):
        ids = []
        if self.auto_id and not self.is_hidden:
            if self.help_text:
                ids.append(f"{self.auto_id}_aide")
            if self.errors:
                ids.append(f"{self.auto_id}_erreur")
        return " ".join(ids)


class InlineValidationMixin:
    """Each field asks the server to check it when it changes (htmx), without a full reload."""

    validate_url_name = ""
    bound_field_class: type[BoundField] | None = DescribedBoundField
    fields: dict[str, forms.Field]  # the form's (this mixin goes with a Form)

    def enable_inline_validation(self, org_slug: str, *, url_name: str = "", **url_kwargs) -> None:
        url = reverse(url_name or self.validate_url_name, kwargs={"org_slug": org_slug, **url_kwargs})
        for name, field in self.fields.items():
            field.widget.attrs.update(
                {
                    "hx-post": url,
                    "hx-trigger": "change",
                    "hx-target": f"#champ-{name}",
                    "hx-swap": "outerHTML",
                    "hx-include": "closest form",
                    "hx-sync": "closest form:queue all",
                }
            )


class CandidateForm(InlineValidationMixin, forms.ModelForm):
    validate_url_name = "candidate_validate"
    date_naissance = forms.CharField(
        label="Date de naissance",
        max_length=10,
        help_text="jj/mm/aaaa — ou seulement l'année (aaaa) si l'état civil ne connaît pas le jour.",
    )

    class Meta:
        model = Candidate
        fields = [
            *NAME_FIELDS,
            "date_naissance",
            "naissance_commune",
            *BIRTH_PLACE_CODE_FIELDS,
            *CONTACT_FIELDS,
        ]
        help_texts = {
            "naissance_code_insee": "5 caractères, ex. 75056 (Paris), 2A004 (Ajaccio).",
            "naissance_pays_code": "3 lettres, ex. FRA.",
            "nom_naissance": "Tel qu'à l'état civil : il figurera sur le parchemin.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["date_naissance"] = self.instance.naissance_date_affichee
        self.order_fields(self.Meta.fields)
        self.fields["civilite"].choices = [("", "—")] + Candidate.Civilite.choices
        self.fields["sexe"].choices = [("", "—")] + Candidate.Sexe.choices

    def clean_date_naissance(self):
        parsed = parse_birth(self.cleaned_data["date_naissance"])
        if parsed is None:
            raise ValidationError("Date invalide : jj/mm/aaaa (jour existant) ou aaaa.")
        year, month, day = parsed
        if not 1900 <= year <= 2099:
            raise ValidationError("L'année de naissance doit être comprise entre 1900 et 2099.")
        return parsed

    def service_fields(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k != "date_naissance"}
        data["naissance_annee"], data["naissance_mois"], data["naissance_jour"] = self.cleaned_data[
            "date_naissance"
        ]
        return data

    def _post_clean(self):
        """The model's own field checks (INSEE code, country code, real birth date), nothing saved."""
        instance = self.instance
        model_fields = {f.name for f in Candidate._meta.fields}
        checked = []
        for name, value in self.cleaned_data.items():
            if name == "date_naissance":
                instance.naissance_annee, instance.naissance_mois, instance.naissance_jour = value
                checked += ["naissance_annee", "naissance_mois", "naissance_jour"]
            elif name in model_fields:
                setattr(instance, name, value)
                checked.append(name)
        for check in (lambda: instance.clean_fields(exclude=model_fields - set(checked)), instance.clean):
            try:
                check()
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    target = (
                        "date_naissance"
                        if name in ("naissance_annee", "naissance_mois", "naissance_jour")
                        else name
                    )
                    if target in self.fields and target not in self._errors:
                        self.add_error(target, errors)
                    elif target not in self.fields:
                        self.add_error(None, errors)


class DossierForm(InlineValidationMixin, forms.ModelForm):
    # Declared here: a model-generated field would query the scoped managers at import time.
    entreprise: "forms.ModelChoiceField[Entreprise]" = forms.ModelChoiceField(
        queryset=None, required=False, label="Entreprise existante"
    )
    tuteur: "forms.ModelChoiceField[Tuteur]" = forms.ModelChoiceField(
        queryset=None, required=False, label="Tuteur existant"
    )
    nouvelle_entreprise_siret = forms.CharField(
        label="SIRET", max_length=17, required=False, help_text="14 chiffres, clé vérifiée."
    )
    nouvelle_entreprise_nom = forms.CharField(label="Raison sociale", max_length=200, required=False)
    nouveau_tuteur_nom = forms.CharField(label="Nom du tuteur", max_length=60, required=False)
    nouveau_tuteur_prenom = forms.CharField(label="Prénom du tuteur", max_length=60, required=False)
    nouveau_tuteur_email = forms.EmailField(label="E-mail du tuteur", required=False)

    class Meta:
        model = Dossier
        fields = [
            "referentiel",
            "voie_acces",
            "statut_professionnel",
            "date_inscription",
            "date_remise_rapport",
            "entreprise",
            "tuteur",
            "amenagement_tiers_temps",
            "amenagement_pauses",
            "amenagement_secretaire",
            "amenagement_interprete",
            "amenagement_equipement",
            "amenagement_note",
        ]
        widgets = {
            "date_inscription": DATE,
            "date_remise_rapport": DATE,
            "amenagement_note": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, referentiels=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["referentiel"].queryset = referentiels
        self.fields["referentiel"].label_from_instance = lambda r: (
            f"{r.code} v{r.version} — {r.intitule[:90]}"
        )
        self.fields["entreprise"].queryset = Entreprise.objects.order_by("raison_sociale")
        # The dossier's entreprise narrows the tuteurs offered (its own, and those not attached to
        # any entreprise); each is labelled with their entreprise.
        tuteurs = Tuteur.objects.select_related("entreprise").order_by("nom", "prenom")
        # (A posted form keeps them all: the service explains a tuteur of another entreprise.)
        if not self.is_bound and self.instance.entreprise_id:
            tuteurs = tuteurs.filter(
                Q(entreprise_id=self.instance.entreprise_id) | Q(entreprise__isnull=True)
            )
        self.fields["tuteur"].queryset = tuteurs
        self.fields["tuteur"].label_from_instance = lambda t: (
            f"{t.prenom} {t.nom} — {t.entreprise.raison_sociale}"
            if t.entreprise_id
            else f"{t.prenom} {t.nom}"
        )
        if self.instance.pk:
            self.fields.pop("referentiel")
        # Django's empty choice reads « --------- »: say it in the page's words.
        for field in self.fields.values():
            empty = "— à choisir —" if field.required else "—"
            if isinstance(field, forms.ModelChoiceField):
                field.empty_label = empty
            elif isinstance(field, forms.ChoiceField) and list(field.choices)[:1] == [("", "---------")]:
                field.choices = [("", empty), *list(field.choices)[1:]]

    def clean_nouvelle_entreprise_siret(self):
        siret = self.cleaned_data["nouvelle_entreprise_siret"].replace(" ", "")
        if siret:
            validate_siret(siret)
        return siret

    def clean(self):
        data = super().clean()
        if data.get("nouvelle_entreprise_siret") and not data.get("nouvelle_entreprise_nom"):
            self.add_error("nouvelle_entreprise_nom", "Indiquez la raison sociale de la nouvelle entreprise.")
        if data.get("nouveau_tuteur_email") and not (
            data.get("nouveau_tuteur_nom") and data.get("nouveau_tuteur_prenom")
        ):
            self.add_error("nouveau_tuteur_nom", "Indiquez le nom et le prénom du nouveau tuteur.")
        return data

    def _post_clean(self):
        pass  # the dossier is validated by its service

    def dossier_fields(self) -> dict:
        names = [f for f in self.Meta.fields if f != "referentiel"]
        return {n: self.cleaned_data.get(n) for n in names}


class PieceForm(forms.Form):
    bound_field_class = DescribedBoundField  # the ids candidates/partials/field.html renders
    kind = forms.ChoiceField(label="Type de pièce", choices=Piece.Kind.choices)
    file = forms.FileField(
        label="Fichier",
        help_text="PDF, image ou document bureautique ; le contenu est vérifié.",
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
    )


class ImportForm(forms.Form):
    bound_field_class = DescribedBoundField  # the ids candidates/partials/field.html renders
    file = forms.FileField(
        label="Fichier CSV ou XLSX",
        help_text="Première ligne : noms des colonnes (voir le modèle).",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
    merge_duplicates = forms.BooleanField(
        label="Rattacher les doublons aux candidats existants (même nom, prénom et date de naissance)",
        help_text="Choix proposé par défaut ; vous décidez ligne par ligne avant de confirmer l'import.",
        required=False,
    )


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=Dossier.Status.choices)
    reason = forms.CharField(
        label="Motif", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class EraseForm(forms.Form):
    bound_field_class = DescribedBoundField  # the ids candidates/partials/field.html renders
    reason = forms.CharField(label="Motif de l'effacement", max_length=500)
