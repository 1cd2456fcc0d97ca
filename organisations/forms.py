from django import forms

from organisations.roles import Role


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Adresse e-mail")
    role = forms.ChoiceField(label="Rôle", choices=Role.choices)

    def __init__(self, *args, inviter_role: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if inviter_role is not None:
            from organisations.services import INVITABLE_ROLES

            allowed = INVITABLE_ROLES.get(inviter_role, set())
            role = self.fields["role"]
            assert isinstance(role, forms.ChoiceField)
            role.choices = [(v, label) for v, label in Role.choices if v in allowed]


class InvitationAcceptForm(forms.Form):
    first_name = forms.CharField(label="Prénom", max_length=150)
    last_name = forms.CharField(label="Nom", max_length=150)
    password1 = forms.CharField(
        label="Mot de passe",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Au moins 10 caractères, pas uniquement des chiffres.",
    )
    password2 = forms.CharField(
        label="Confirmation du mot de passe",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", "Les deux mots de passe ne correspondent pas.")
        return data


class ApiTokenForm(forms.Form):
    name = forms.CharField(label="Nom du jeton", max_length=100, help_text="Par exemple : « ERP paie ».")
