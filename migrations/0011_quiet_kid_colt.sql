CREATE TABLE "writing_word_keys" (
	"key" text PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "writing_word_keys_created_idx" ON "writing_word_keys" USING btree ("created_at");