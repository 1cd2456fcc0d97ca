from allauth.mfa.totp.forms import ActivateTOTPForm
from allauth.mfa.totp.internal import auth
from django import forms


class StableActivateTOTPForm(ActivateTOTPForm):
    """The enrolment secret is generated once and kept in the session until the enrolment succeeds
    (allauth then clears it): a reload, a second tab or a stray request to the enrolment page no
    longer replaces the secret behind the QR code the user is scanning."""

    def __init__(self, *args, **kwargs) -> None:
        # allauth's own __init__ regenerates the secret on every GET (regenerate=not self.is_bound).
        self.user = kwargs.pop("user")
        forms.Form.__init__(self, *args, **kwargs)
        self.fields["code"].label = "Code de votre application d'authentification"
        self.secret = auth.get_totp_secret(regenerate=False)
