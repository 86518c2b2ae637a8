"""PostgreSQL: the first available time booked in one round trip.

``scheduling_book_earliest`` does what ``services.booking_earliest`` does in a transaction,
as one function call: lock the citizen's row (the user's own when no citizen is named),
see that the service and the office are on offer; then, in one statement, lock the earliest
free slot (skipping those other transactions hold), insert the booking if the citizen has
fewer active bookings for the service than the limit, and mark the slot busy. The slot is
found counter by counter (a counter of the office that serves the service, its earliest
free slot for it): the cost does not grow with the slots of other offices and services.
The other counters' candidates stay locked only while the call runs. Each
statement in a PL/pgSQL function takes a fresh snapshot (read committed), so the count
sees every booking of the citizen's committed before their row was locked, as in the
transaction. When nothing was booked (a limit, no free slot, an insert that collided) it
returns nulls and has changed nothing; the service falls back to its transaction, which
says why.

SQLite has no such functions and needs none (one writer at a time).
"""

from __future__ import annotations

from django.db import migrations

from gorod.db.migrations import postgresql_only

CREATE = """
CREATE OR REPLACE FUNCTION scheduling_book_earliest(
    p_citizen bigint, p_user bigint, p_institution bigint, p_service bigint,
    p_after timestamptz, p_status varchar, p_code varchar, p_expires timestamptz,
    p_booked_by bigint, p_now timestamptz, p_created timestamptz, p_limit integer,
    OUT new_booking bigint, OUT new_slot bigint, OUT new_citizen bigint
) LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    -- the citizen asked for, or (none asked for) the user's own record
    IF p_citizen IS NULL THEN
        SELECT c.id INTO new_citizen FROM people_citizen c WHERE c.user_id = p_user FOR UPDATE;
    ELSE
        SELECT c.id INTO new_citizen FROM people_citizen c WHERE c.id = p_citizen FOR UPDATE;
    END IF;
    IF new_citizen IS NULL
       OR NOT EXISTS (SELECT 1 FROM scheduling_service v WHERE v.id = p_service AND v.is_active)
       OR NOT EXISTS (SELECT 1 FROM places_institution i
                       WHERE i.id = p_institution AND i.is_active) THEN
        new_citizen := NULL;
        RETURN;
    END IF;
    WITH free AS (
        -- each counter of the office serving the service offers its earliest free slot
        -- (by the partial index scheduling_slot_free_at); the earliest of those is taken
        SELECT c.id FROM scheduling_resource r CROSS JOIN LATERAL (
            SELECT s.id, s.start FROM scheduling_slot s
             WHERE s.resource_id = r.id AND s.status = 'free' AND s.start > p_after
               AND (s.service_id = p_service OR s.service_id IS NULL)
             ORDER BY s.start LIMIT 1
               FOR UPDATE OF s SKIP LOCKED
        ) c
         WHERE r.institution_id = p_institution AND r.is_active AND EXISTS (
               SELECT 1 FROM scheduling_resource_services m
                WHERE m.resource_id = r.id AND m.service_id = p_service)
         ORDER BY c.start, c.id LIMIT 1
    ), booked AS (
        INSERT INTO scheduling_booking (slot_id, citizen_id, service_id, status, code,
            hold_expires_at, booked_by_id, rescheduled_from_id, cancelled_reason,
            created_at, updated_at)
        SELECT free.id, new_citizen, p_service, p_status, p_code, p_expires, p_booked_by,
            NULL, '', p_created, p_created FROM free
         WHERE (SELECT count(*) FROM scheduling_booking b
                 WHERE b.citizen_id = new_citizen AND b.service_id = p_service
                   AND (b.status = 'booked'
                        OR (b.status = 'pending' AND b.hold_expires_at > p_now))) < p_limit
        ON CONFLICT DO NOTHING
        RETURNING id, slot_id
    ), busy AS (
        UPDATE scheduling_slot SET status = 'busy' FROM booked
         WHERE scheduling_slot.id = booked.slot_id
    )
    SELECT booked.id, booked.slot_id INTO new_booking, new_slot FROM booked;
    IF new_booking IS NULL THEN
        new_citizen := NULL;
    END IF;
END
$$
"""

DROP = (
    "DROP FUNCTION IF EXISTS scheduling_book_earliest(bigint, bigint, bigint, bigint,"
    " timestamptz, varchar, varchar, timestamptz, bigint, timestamptz, timestamptz, integer)"
)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0003_weekly_spans")]

    operations = [postgresql_only(CREATE, DROP)]
