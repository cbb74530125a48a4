"""Pool rules as plain values and pure decisions (no session, no Flask).

Defaults apply company-wide; any org node may override any rule in its `settings["pool"]`,
and the nearest ancestor's override wins for everything below it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class PoolRules:
    """Every pool rule with its default; see docs/pools.md for the reasons."""

    capacity: int = 200  # open leads a rep may hold in the private pool
    daily_claim_cap: int = 20  # claims per rep per local calendar day
    recycle_after_days: int = 15  # no verified follow-up for this long → back to the pool
    reminder_days: int = 3  # flag a lead this many days before it would be recycled
    protection_days: int = 30  # owner protection after a claim
    protection_extension_days: int = 15  # each verified follow-up extends protection to here
    protection_max_days: int = 90  # hard maximum of protection after the claim
    previous_owner_lockout_days: int = 30  # the previous owner cannot re-claim for this long
    release_cooldown_days: int = 3  # nobody can claim a just-released lead for this long
    leaver_leads: str = "release"  # "release" to the pool or "transfer_to_manager"

    @property
    def recycle_after(self) -> timedelta:
        return timedelta(days=self.recycle_after_days)

    @property
    def cooldown(self) -> timedelta:
        return timedelta(days=self.release_cooldown_days)


RULE_NAMES = tuple(f.name for f in fields(PoolRules))
LEAVER_POLICIES = ("release", "transfer_to_manager")


def validate_overrides(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Check an override mapping; raise ValueError naming the bad rule."""
    clean: dict[str, Any] = {}
    for name, value in overrides.items():
        if name not in RULE_NAMES:
            raise ValueError(f"unknown pool rule {name!r}")
        if name == "leaver_leads":
            if value not in LEAVER_POLICIES:
                raise ValueError(f"leaver_leads must be one of {LEAVER_POLICIES}")
        elif not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100_000:
            raise ValueError(f"{name} must be an integer between 0 and 100000")
        clean[name] = value
    return clean


def resolve(chain: Iterable[Mapping[str, Any]], base: PoolRules = PoolRules()) -> PoolRules:
    """Apply node overrides from the root down (the nearest ancestor wins)."""
    rules = base
    for overrides in chain:
        known = {k: v for k, v in (overrides or {}).items() if k in RULE_NAMES}
        rules = replace(rules, **known)
    return rules


@dataclass(frozen=True)
class ClaimContext:
    """What a claim decision needs to know about the rep and the lead, loaded by the service."""

    now: datetime
    open_leads_held: int
    claims_today: int
    lead_released_at: datetime | None
    my_last_loss_at: datetime | None  # when this rep last lost this lead, if ever


def claim_refusal(rules: PoolRules, ctx: ClaimContext) -> tuple[str, str] | None:
    """Why this rep may not claim this public lead now, as (code, message); None if allowed."""
    if ctx.my_last_loss_at is not None:
        until = ctx.my_last_loss_at + timedelta(days=rules.previous_owner_lockout_days)
        if ctx.now < until:
            return (
                "previous_owner_lockout",
                f"You held this lead; you may claim it again from {until:%Y-%m-%d %H:%M} UTC.",
            )
    if ctx.lead_released_at is not None and ctx.now < ctx.lead_released_at + rules.cooldown:
        until = ctx.lead_released_at + rules.cooldown
        return "release_cooldown", f"Just released; claimable from {until:%Y-%m-%d %H:%M} UTC."
    if ctx.open_leads_held >= rules.capacity:
        return "capacity_reached", f"Your private pool is full ({rules.capacity} open leads)."
    if ctx.claims_today >= rules.daily_claim_cap:
        return "daily_cap_reached", f"You have claimed {rules.daily_claim_cap} leads today."
    return None


def protection_after_claim(rules: PoolRules, claimed_at: datetime) -> datetime:
    """Protection end right after a claim."""
    return claimed_at + timedelta(days=rules.protection_days)


def protection_after_activity(
    rules: PoolRules, *, claimed_at: datetime, current: datetime | None, activity_at: datetime
) -> datetime:
    """Protection end after a verified follow-up: extended, never past the hard maximum."""
    extended = activity_at + timedelta(days=rules.protection_extension_days)
    ceiling = claimed_at + timedelta(days=rules.protection_max_days)
    return min(max(current or extended, extended), ceiling)


def recycle_due_at(
    rules: PoolRules,
    *,
    claimed_at: datetime,
    last_verified_at: datetime | None,
    protected_until: datetime | None,
) -> datetime:
    """When an owned open lead goes back to the pool: whichever comes first of
    `recycle_after_days` without a verified follow-up and the end of owner protection
    (a holding period that follow-ups extend, up to a hard maximum)."""
    idle_deadline = max(claimed_at, last_verified_at or claimed_at) + rules.recycle_after
    return min(idle_deadline, protected_until) if protected_until else idle_deadline


def reminder_due(rules: PoolRules, *, due_at: datetime, now: datetime) -> bool:
    """True inside the reminder window before recycling."""
    return now >= due_at - timedelta(days=rules.reminder_days)
