"""PostgreSQL: a chosen slot booked for oneself in one round trip.

``scheduling_book_slot`` does what ``services.booking_hold`` does in a transaction for a
user booking for their own record, as one function call: lock the user's citizen row, see
that the slot can be booked for the service (it has not started, is not withheld, its
counter is open and serves the service, the service is on offer) and that the citizen
has fewer active bookings for the service than the limit; then, in one statement, insert
the booking (the partial unique index on a slot's active bookings decides a race) and mark
the slot busy. When the insert did nothing because a live booking holds the slot, it says
``taken``: the caller answers with the nearest free slots. Anything else that stands in
the way (no citizen record, a slot or service not bookable, the limit, an expired hold
not yet cleared, a check-in code that collided) returns nulls having changed nothing, and
the service falls back to its transaction, which says why or clears the way.

SQLite has no such functions and needs none (one writer at a time).
"""

from __future__ import annotations

from django.db import migrations

from gorod.db.migrations import postgresql_only

CREATE = """
CREATE OR REPLACE FUNCTION scheduling_book_slot(
    p_slot bigint, p_service bigint, p_user bigint, p_status varchar, p_code varchar,
    p_expires timestamptz, p_now timestamptz, p_created timestamptz, p_limit integer,
    OUT new_booking bigint, OUT new_citizen bigint, OUT taken boolean
) LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    taken := false;
    SELECT c.id INTO new_citizen FROM people_citizen c WHERE c.user_id = p_user FOR UPDATE;
    IF new_citizen IS NULL OR NOT EXISTS (
        SELECT 1 FROM scheduling_slot s
          JOIN scheduling_resource r ON r.id = s.resource_id
          JOIN scheduling_service v ON v.id = p_service
         WHERE s.id = p_slot AND s.start > p_now AND s.status <> 'busy-unavailable'
           AND r.is_active AND v.is_active
           AND (s.service_id = p_service OR s.service_id IS NULL)
           AND EXISTS (SELECT 1 FROM scheduling_resource_services m
                        WHERE m.resource_id = r.id AND m.service_id = p_service)
    ) OR (
        -- counted after the citizen's row is locked: a fresh snapshot sees every booking
        -- of theirs committed before
        SELECT count(*) FROM scheduling_booking b
         WHERE b.citizen_id = new_citizen AND b.service_id = p_service
           AND b.status IN ('pending', 'booked')
           AND (b.status = 'booked' OR b.hold_expires_at > p_now)
    ) >= p_limit THEN
        new_citizen := NULL;
        RETURN;
    END IF;
    WITH booked AS (
        INSERT INTO scheduling_booking (slot_id, citizen_id, service_id, status, code,
            hold_expires_at, booked_by_id, rescheduled_from_id, cancelled_reason,
            created_at, updated_at)
        VALUES (p_slot, new_citizen, p_service, p_status, p_code, p_expires, p_user, NULL,
            '', p_created, p_created)
        ON CONFLICT DO NOTHING
        RETURNING id, slot_id
    ), busy AS (
        UPDATE scheduling_slot SET status = 'busy' FROM booked
         WHERE scheduling_slot.id = booked.slot_id
    )
    SELECT booked.id INTO new_booking FROM booked;
    IF new_booking IS NULL THEN
        taken := EXISTS (
            SELECT 1 FROM scheduling_booking b
             WHERE b.slot_id = p_slot AND b.status IN ('pending', 'booked', 'arrived', 'fulfilled')
               AND NOT (b.status = 'pending' AND b.hold_expires_at <= p_now));
        new_citizen := NULL;
    END IF;
END
$$
"""

DROP = (
    "DROP FUNCTION IF EXISTS scheduling_book_slot(bigint, bigint, bigint, varchar, varchar,"
    " timestamptz, timestamptz, timestamptz, integer)"
)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0005_free_slots_by_resource")]

    operations = [postgresql_only(CREATE, DROP)]
