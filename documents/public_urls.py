from django.urls import path

from documents import public

urlpatterns = [
    path("", public.verification_form, name="verification_form"),
    path("<str:code>", public.verification_page, name="verification_page"),
]
