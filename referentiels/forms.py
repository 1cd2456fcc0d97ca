from django import forms

from referentiels.models import Kind, Referentiel

MAX_IMPORT_BYTES = 20 * 1024 * 1024


class CatalogueFilterForm(forms.Form):
    q = forms.CharField(label="Recherche", required=False, widget=forms.TextInput(attrs={"type": "search", "placeholder": "Code ou intitulé"}))
    kind = forms.ChoiceField(label="Type", required=False, choices=[("", "Tous")] + list(Kind.choices))
    status = forms.ChoiceField(label="Statut", required=False, choices=[("", "Tous")] + list(Referentiel.Status.choices))
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
        label="Fiches RNCP à importer", required=False,
        help_text="Pour un export XML : numéros séparés par des espaces (ex. RNCP36612 RNCP37674). Vide = toutes.",
    )
    remplacer = forms.BooleanField(label="Remplacer un brouillon existant de même version", required=False)

    def clean_fichier(self):
        f = self.cleaned_data["fichier"]
        if f.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError("Fichier trop volumineux pour la page (20 Mo au plus) : utilisez la commande import_rncp ou l'API.")
        if not f.name.lower().endswith((".json", ".yaml", ".yml", ".xml")):
            raise forms.ValidationError("Extension attendue : .json, .yaml, .yml ou .xml.")
        return f

    def clean_fiches(self):
        raw = self.cleaned_data["fiches"].replace(",", " ").split()
        bad = [n for n in raw if not (n.upper().startswith(("RNCP", "RS")) and n.upper().lstrip("RNCPS").isdigit())]
        if bad:
            raise forms.ValidationError(f"Numéro(s) de fiche invalide(s) : {', '.join(bad)} (attendu RNCPnnnnn ou RSnnnn).")
        return {n.upper() for n in raw}


class HabilitationForm(forms.Form):
    centre = forms.ModelChoiceField(label="Centre", queryset=None)
    code = forms.ChoiceField(label="Certification")
    date_debut = forms.DateField(label="Début", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    date_fin = forms.DateField(label="Fin", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, certificateur, **kwargs):
        super().__init__(*args, **kwargs)
        from organisations.models import Organisation

        self.fields["centre"].queryset = Organisation.objects.filter(kind="centre", is_active=True)
        codes = Referentiel.objects.filter(certificateur=certificateur).values_list("code", "intitule").distinct().order_by("code")
        seen = {}
        for code, intitule in codes:
            seen.setdefault(code, f"{code} — {intitule[:60]}")
        self.fields["code"].choices = list(seen.items())


class HabilitationEndForm(forms.Form):
    date_fin = forms.DateField(
        label="Date de fin", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": "Indiquez la date de fin de l'habilitation.",
            "invalid": "Date de fin invalide : saisissez-la au format jj/mm/aaaa.",
        },
    )


class CapaciteForm(forms.Form):
    intitule = forms.CharField(label="Intitulé", widget=forms.Textarea(attrs={"rows": 2}))
    conditions = forms.CharField(label="Conditions de réalisation", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    criteres = forms.CharField(
        label="Critères", required=False, widget=forms.Textarea(attrs={"rows": 10}),
        help_text="Un critère par ligne ; préfixez par « groupe | » pour un critère groupé.",
    )

    def criteres_list(self) -> list[dict]:
        rows = []
        for line in self.cleaned_data["criteres"].splitlines():
            if not line.strip():
                continue
            groupe, sep, texte = line.partition(" | ")
            rows.append({"groupe": groupe.strip(), "texte": texte.strip()} if sep else {"groupe": "", "texte": line.strip()})
        return rows
