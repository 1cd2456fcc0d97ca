"""DRF's search and ordering filters, declared in the schema only where the view has fields for
them: they were published on every list, and ``?search=`` was silently ignored where the view
searched nothing (found by tests/security/test_declared_filters.py)."""

from rest_framework import filters


class SearchFilter(filters.SearchFilter):
    def get_schema_operation_parameters(self, view):
        return super().get_schema_operation_parameters(view) if getattr(view, "search_fields", None) else []


class OrderingFilter(filters.OrderingFilter):
    def get_schema_operation_parameters(self, view):
        return super().get_schema_operation_parameters(view) if getattr(view, "ordering_fields", None) else []
