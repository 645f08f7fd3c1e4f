CREATE TABLE "document_versions" (
	"id" text PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"document_id" text NOT NULL,
	"name" text,
	"kind" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"words" integer NOT NULL,
	"words_changed" integer NOT NULL,
	"state" "bytea" NOT NULL,
	"size" integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX "document_versions_document_created_idx" ON "document_versions" USING btree ("project_id","document_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);