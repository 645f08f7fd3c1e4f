CREATE TABLE "writing_document_totals" (
	"project_id" text NOT NULL,
	"document_id" text NOT NULL,
	"user_id" text NOT NULL,
	"words_added" integer DEFAULT 0 NOT NULL,
	"words_removed" integer DEFAULT 0 NOT NULL,
	"words_net" integer DEFAULT 0 NOT NULL,
	"active_minutes" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "writing_document_totals_pk" PRIMARY KEY("project_id","document_id","user_id")
);
--> statement-breakpoint
DROP INDEX "writing_sessions_project_started_idx";--> statement-breakpoint
ALTER TABLE "writing_days" ADD COLUMN "first_quarter" integer;--> statement-breakpoint
ALTER TABLE "writing_days" ADD COLUMN "last_quarter" integer;--> statement-breakpoint
ALTER TABLE "writing_sessions" ADD COLUMN "idle_ms" double precision DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "writing_sessions" ADD COLUMN "warming_up_ms" double precision DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "writing_sessions" ADD COLUMN "active_ms" double precision DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "writing_sessions" ADD COLUMN "flow_ms" double precision DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "writing_sessions" ADD COLUMN "paused_ms" double precision DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "writing_sessions" ADD COLUMN "break_ms" double precision DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "writing_sessions" ADD COLUMN "ended_ms" double precision DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "events_foreign_id_category_time_idx" ON "events" USING btree ("category","occurred_at") WHERE (('x' || translate(left(id::text, 13), '-', ''))::bit(48)::bigint <> floor(extract(epoch from (occurred_at - '1970-01-01 00:00:00+00'::timestamptz)) * 1000)::bigint);--> statement-breakpoint
CREATE INDEX "writing_quarters_project_user_slot_totals_idx" ON "writing_quarters" USING btree ("project_id","user_id","slot","words_added","words_removed","words_net","active_seconds");--> statement-breakpoint
CREATE INDEX "writing_sessions_project_started_totals_idx" ON "writing_sessions" USING btree ("project_id","started_at","user_id","writing_ms","composed_words","idle_ms","warming_up_ms","active_ms","flow_ms","paused_ms","break_ms","ended_ms");--> statement-breakpoint
-- Backfill (hand-written from here): per-document totals from the minute buckets, each day row's first and last quarter, the sessions' time in state.
INSERT INTO "writing_document_totals" ("project_id", "document_id", "user_id", "words_added", "words_removed", "words_net", "active_minutes")
SELECT "project_id", "document_id", "user_id", sum("words_added"), sum("words_removed"), sum("words_net"),
  count(*) FILTER (WHERE "active_seconds" > 0 OR "words_added" <> 0 OR "words_removed" <> 0)
FROM "writing_buckets" GROUP BY 1, 2, 3;--> statement-breakpoint
UPDATE "writing_days" d SET "first_quarter" = x.first_quarter, "last_quarter" = x.last_quarter
FROM (
  SELECT z.project_id, z.user_id, z.time_zone, (q.slot AT TIME ZONE z.time_zone)::date AS day,
    (extract(epoch FROM min(q.slot))::bigint / 900)::integer AS first_quarter, (extract(epoch FROM max(q.slot))::bigint / 900)::integer AS last_quarter
  FROM (SELECT DISTINCT "project_id", "user_id", "time_zone" FROM "writing_days") z
  JOIN "writing_quarters" q ON q.project_id = z.project_id AND q.user_id = z.user_id
  GROUP BY 1, 2, 3, 4
) x
WHERE d.project_id = x.project_id AND d.user_id = x.user_id AND d.time_zone = x.time_zone AND d.day = x.day;--> statement-breakpoint
UPDATE "writing_sessions" SET
  "idle_ms" = coalesce(("summary"->'timeInState'->>'idle')::float8, 0),
  "warming_up_ms" = coalesce(("summary"->'timeInState'->>'warming_up')::float8, 0),
  "active_ms" = coalesce(("summary"->'timeInState'->>'active')::float8, 0),
  "flow_ms" = coalesce(("summary"->'timeInState'->>'flow')::float8, 0),
  "paused_ms" = coalesce(("summary"->'timeInState'->>'paused')::float8, 0),
  "break_ms" = coalesce(("summary"->'timeInState'->>'break')::float8, 0),
  "ended_ms" = coalesce(("summary"->'timeInState'->>'ended')::float8, 0);
