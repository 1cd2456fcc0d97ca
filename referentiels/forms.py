from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from organisations.models import Organisation
from referentiels.models import Kind, Modalite, ModaliteType, Referentiel

MAX_IMPORT_BYTES = 20 * 1024 * 1024


class CatalogueFilterForm(forms.Form):
    q = forms.CharField(
        label="Recherche",
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Code ou intitulé"}),
    )
    kind = forms.ChoiceField(label="Type", required=False, choices=[("", "Tous")] + list(Kind.choices))
    status = forms.ChoiceField(
        label="Statut", required=False, choices=[("", "Tous")] + list(Referentiel.Status.choices)
    )
    certificateur = forms.ChoiceField(label="Certificateur", required=False)

    def __init__(self, *args, certificateurs=(), **kwargs):
        """``certificateurs``: ``(slug, name)`` of the certificateurs whose référentiels the organisation sees."""
        super().__init__(*args, **kwargs)
        self.fields["certificateur"].choices = [("", "Tous")] + list(certificateurs)


class ImportForm(forms.Form):
    fichier = forms.FileField(
        label="Fichier",
        help_text="Référentiel au format certif-referentiel/1 (.json, .yaml) ou export RNCP de France compétences (.xml).",
    )
    fiches = forms.CharField(
        label="Fiches RNCP à importer",
        required=False,
        help_text="Pour un export XML : numéros séparés par des espaces (ex. RNCP36612 RNCP37674). Vide = toutes.",
    )
    remplacer = forms.BooleanField(label="Remplacer un brouillon existant de même version", required=False)

    def clean_fichier(self):
        f = self.cleaned_data["fichier"]
        if not f.name.lower().endswith((".json", ".yaml", ".yml", ".xml")):
            raise forms.ValidationError("Extension attendue : .json, .yaml, .yml ou .xml.")
        is_xml = f.name.lower().endswith(".xml")
        limit = settings.REFERENTIELS_IMPORT_PAGE_MAX_BYTES if is_xml else MAX_IMPORT_BYTES
        if f.size > limit:
            raise forms.ValidationError(
                f"Fichier trop volumineux pour la page ({filesizeformat(f.size)} ; {filesizeformat(limit)} au plus"
                f"{' pour un export RNCP' if is_xml else ''}) : utilisez la commande import_rncp ou l'API."
            )
        return f

    def clean_fiches(self):
        raw = self.cleaned_data["fiches"].replace(",", " ").split()
        bad = [
            n
            for n in raw
            if not (
                n.upper().startswith(("RNCP", "RS"))
                and n.upper().lstrip("RNCPS").isascii()
                and n.upper().lstrip("RNCPS").isdigit()
            )
        ]
        if bad:
            raise forms.ValidationError(
                f"Numéro(s) de fiche invalide(s) : {', '.join(bad)} (attendu RNCPnnnnn ou RSnnnn)."
            )
        return {n.upper() for n in raw}


class HabilitationForm(forms.Form):
    centre: forms.ModelChoiceField = forms.ModelChoiceField(label="Centre", queryset=None)
    code = forms.ChoiceField(label="Certification")
    date_debut = forms.DateField(
        label="Début", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    date_fin = forms.DateField(
        label="Fin", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args, certificateur, **kwargs):
        super().__init__(*args, **kwargs)

        self.fields["centre"].queryset = Organisation.objects.filter(kind="centre", is_active=True)
        codes = (
            Referentiel.objects.filter(certificateur=certificateur)
            .values_list("code", "intitule")
            .distinct()
            .order_by("code")
        )
        seen = {}
        for code, intitule in codes:
            seen.setdefault(code, f"{code} — {intitule[:60]}")
        self.fields["code"].choices = list(seen.items())


class HabilitationEndForm(forms.Form):
    date_fin = forms.DateField(
        label="Date de fin",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": "Indiquez la date de fin de l'habilitation.",
            "invalid": "Date de fin invalide : saisissez-la au format jj/mm/aaaa.",
        },
    )


class CapaciteForm(forms.Form):
    intitule = forms.CharField(label="Intitulé", widget=forms.Textarea(attrs={"rows": 2}))
    conditions = forms.CharField(
        label="Conditions de réalisation", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    criteres = forms.CharField(
        label="Critères",
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="Un critère par ligne ; préfixez par « groupe | » pour un critère groupé.",
    )

    def criteres_list(self) -> list[dict]:
        rows = []
        for line in self.cleaned_data["criteres"].splitlines():
            if not line.strip():
                continue
            groupe, sep, texte = line.partition(" | ")
            rows.append(
                {"groupe": groupe.strip(), "texte": texte.strip()}
                if sep
                else {"groupe": "", "texte": line.strip()}
            )
        return rows


class BlocForm(forms.Form):
    code = forms.CharField(label="Code", max_length=60)
    intitule = forms.CharField(label="Intitulé", widget=forms.Textarea(attrs={"rows": 2}))
    position = forms.IntegerField(
        label="Position", min_value=1, required=False, help_text="1 = premier bloc."
    )


class BlocCreateForm(BlocForm):
    capacite_code = forms.CharField(label="Code de la première capacité", max_length=60)
    capacite_intitule = forms.CharField(
        label="Intitulé de la première capacité", widget=forms.Textarea(attrs={"rows": 2})
    )


class ModaliteForm(forms.Form):
    type = forms.ChoiceField(label="Type", required=False, choices=[("", "—")] + list(ModaliteType.choices))
    intitule = forms.CharField(label="Intitulé", required=False)
    duree_minutes = forms.IntegerField(label="Durée (min)", required=False, min_value=0, max_value=2**31 - 1)
    points = forms.IntegerField(label="Points", required=False, min_value=0, max_value=2**31 - 1)
    forme = forms.ChoiceField(label="Forme", required=False, choices=Modalite.Forme.choices)
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        data = super().clean()
        filled = any(
            data.get(k) not in (None, "") for k in ("intitule", "duree_minutes", "points", "forme", "notes")
        )
        if filled and not data.get("type") and not data.get("DELETE"):
            self.add_error("type", "Choisissez le type de cette modalité (liste du glossaire).")
        return data


ModaliteFormSet = forms.formset_factory(ModaliteForm, extra=1, can_delete=True, max_num=50, validate_max=True)


def _mapping_from_text(text: str, key: str, example: str) -> dict:
    """YAML or JSON text → an object (a French message with the line and column otherwise)."""
    import yaml

    from core import safeyaml

    try:
        value = safeyaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"ligne {mark.line + 1}, colonne {mark.column + 1} : " if mark else ""
        raise forms.ValidationError(
            f"{where}texte illisible ({getattr(exc, 'problem', None) or 'YAML/JSON invalide'})."
        ) from None
    if value is None and key == "composition_jury":
        return {}  # emptied: the family's default
    if not isinstance(value, dict):
        raise forms.ValidationError(f"{key} : un objet est attendu (par exemple « {example} »).")
    return value


class RegleForm(forms.Form):
    regle = forms.CharField(
        label="Règle d'obtention (YAML ou JSON)",
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false", "class": "mono"}),
        help_text="Le même format que l'import (section « regle »). Prévisualisez : la règle s'affiche en français.",
    )

    def clean_regle(self):
        return _mapping_from_text(self.cleaned_data["regle"], "regle", "type: toutes_capacites")


class CompositionForm(forms.Form):
    composition_jury = forms.CharField(
        label="Composition du jury (YAML ou JSON)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 20, "spellcheck": "false", "class": "mono"}),
        help_text=(
            "Une clé absente prend la valeur par défaut de la famille du référentiel ; vide : la composition "
            "par défaut. Prévisualisez : les règles s'affichent en français."
        ),
    )

    def clean_composition_jury(self):
        return _mapping_from_text(
            self.cleaned_data["composition_jury"], "composition_jury", "minimum_votants: 4"
        )


class EnregistrementForm(forms.Form):
    """A certification's registration (RNCP / RS), as the certificateur enters it."""

    numero = forms.CharField(
        label="Numéro d'enregistrement", max_length=20, help_text="Ex. RNCP36390 ou RS5000."
    )
    type_enregistrement = forms.ChoiceField(
        label="Type d'enregistrement",
        choices=[("sur_demande", "Enregistrement sur demande"), ("de_droit", "Enregistrement de droit")],
    )
    date_decision = forms.DateField(
        label="Date de la décision du directeur général de France compétences",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    duree_ans = forms.IntegerField(
        label="Durée d'enregistrement (ans)", required=False, min_value=1, max_value=10
    )
    reference_jo = forms.CharField(
        label="Référence de publication (enregistrement de droit)",
        required=False,
        max_length=500,
        help_text="Ex. « Arrêté du … publié au Journal officiel du … ».",
    )
    date_fin = forms.DateField(
        label="Fin d'enregistrement", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    niveau = forms.TypedChoiceField(
        label="Niveau (nomenclature nationale de 2019, identique au niveau européen CEC)",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "— (Répertoire spécifique : pas de niveau)")]
        + [(str(n), f"Niveau {n}") for n in range(1, 9)],
    )
    codes_nsf = forms.CharField(
        label="Codes NSF",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Un code par ligne, suivi de son libellé : « 324 Secrétariat, bureautique » (3 au plus).",
    )

    def clean_codes_nsf(self):
        lines = [line.strip() for line in self.cleaned_data["codes_nsf"].splitlines() if line.strip()]
        out = []
        for line in lines:
            code, _, libelle = line.partition(" ")
            out.append({"code": code.strip(), "libelle": libelle.strip(" :—-")})
        return out
