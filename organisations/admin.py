"""Django admin: the platform superuser creates organisations and memberships.

Tenant tables are deliberately not registered: they are reached only through the
organisation's own pages, under its tenant context.
"""

from django.contrib import admin

from organisations.models import Membership, Organisation


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "slug", "siret", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "slug", "siret")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "organisation", "role", "is_active")
    list_filter = ("role", "organisation")
    search_fields = ("user__email", "organisation__name")
    autocomplete_fields = ["user"]
