"""The « Webhooks » page: register endpoints, read the deliveries, replay one, re-enable."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import ApplicationError
from integrations import webhooks
from integrations.models import Event, WebhookDelivery, WebhookEndpoint
from organisations.permissions import require_capability


class WebhookForm(forms.Form):
    url = forms.URLField(label="Adresse (https://…)", max_length=500, assume_scheme="https")
    description = forms.CharField(label="Description", max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label="Événements", choices=Event.choices, widget=forms.CheckboxSelectMultiple
    )


@require_capability("webhooks.manage")
@require_http_methods(["GET", "POST"])
def webhook_list(request, org_slug):
    form = WebhookForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = webhooks.endpoint_create(by=request.membership, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            secret, form = endpoint.secret, WebhookForm()
            messages.success(request, f"Webhook {endpoint.url} enregistré.")
    return render(
        request,
        "integrations/webhooks.html",
        {
            "form": form,
            "secret": secret,
            "endpoints": WebhookEndpoint.objects.order_by("created_at", "pk"),
            "deliveries": WebhookDelivery.objects.select_related("endpoint").order_by("-created_at", "-pk")[
                :50
            ],
        },
    )


@require_capability("webhooks.manage")
@require_POST
def webhook_replay(request, org_slug, delivery_id):
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(public_id=delivery_id).first()
    if delivery is None:
        raise Http404
    try:
        webhooks.delivery_replay(delivery=delivery, by=request.membership)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"Événement {delivery.get_event_display()} renvoyé à {delivery.endpoint.url}."
        )
    return redirect("webhooks", org_slug=org_slug)


@require_capability("webhooks.manage")
@require_POST
def webhook_toggle(request, org_slug, webhook_id):
    endpoint = WebhookEndpoint.objects.filter(public_id=webhook_id).first()
    if endpoint is None:
        raise Http404
    webhooks.endpoint_update(endpoint=endpoint, by=request.membership, is_active=not endpoint.is_active)
    messages.success(request, f"Webhook {endpoint.url} {'réactivé' if endpoint.is_active else 'désactivé'}.")
    return redirect("webhooks", org_slug=org_slug)
