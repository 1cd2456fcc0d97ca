"""Who acts on a service: a membership (pages and API), a user (a task on someone's behalf), or
``None`` (the system: tasks, the demo seed). Services take it as ``by`` and record its user."""

from typing import Protocol, TypeAlias

from django.contrib.auth.base_user import AbstractBaseUser


class MembershipLike(Protocol):
    """A membership as the kernel sees it: it carries the user acting in an organisation."""

    @property
    def user(self) -> AbstractBaseUser: ...


Actor: TypeAlias = MembershipLike | AbstractBaseUser | None


def actor_user(by: Actor):
    """The user behind ``by``: a membership's user, the user itself, or ``None`` for the system."""
    return getattr(by, "user", by)
