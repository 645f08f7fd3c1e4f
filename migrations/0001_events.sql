CREATE TABLE "events" (
	"id" uuid PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"category" text NOT NULL,
	"v" integer NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"project_id" text,
	"document_id" text,
	"actor" text NOT NULL,
	"payload" jsonb NOT NULL,
	"archived_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "events_category_id_idx" ON "events" USING btree ("category","id");--> statement-breakpoint
CREATE INDEX "events_project_category_id_idx" ON "events" USING btree ("project_id","category","id");--> statement-breakpoint
CREATE INDEX "events_type_id_idx" ON "events" USING btree ("type","id");