CREATE TABLE "writing_buckets" (
	"user_id" text NOT NULL,
	"project_id" text NOT NULL,
	"document_id" text NOT NULL,
	"minute" timestamp with time zone NOT NULL,
	"words_added" integer DEFAULT 0 NOT NULL,
	"words_removed" integer DEFAULT 0 NOT NULL,
	"words_net" integer DEFAULT 0 NOT NULL,
	"active_seconds" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "writing_buckets_pk" PRIMARY KEY("project_id","user_id","minute","document_id")
);
--> statement-breakpoint
CREATE TABLE "writing_days" (
	"project_id" text NOT NULL,
	"user_id" text NOT NULL,
	"time_zone" text NOT NULL,
	"day" date NOT NULL,
	"words_added" integer DEFAULT 0 NOT NULL,
	"words_removed" integer DEFAULT 0 NOT NULL,
	"words_net" integer DEFAULT 0 NOT NULL,
	"active_seconds" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "writing_days_pk" PRIMARY KEY("project_id","user_id","time_zone","day")
);
--> statement-breakpoint
CREATE TABLE "writing_goals" (
	"user_id" text NOT NULL,
	"project_id" text NOT NULL,
	"daily_words" integer NOT NULL,
	"time_zone" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "writing_goals_pk" PRIMARY KEY("user_id","project_id")
);
--> statement-breakpoint
CREATE TABLE "writing_preferences" (
	"user_id" text PRIMARY KEY NOT NULL,
	"analytics_opt_out" boolean DEFAULT false NOT NULL,
	"time_zone" text DEFAULT 'UTC' NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "writing_quarters" (
	"project_id" text NOT NULL,
	"slot" timestamp with time zone NOT NULL,
	"user_id" text NOT NULL,
	"words_added" integer DEFAULT 0 NOT NULL,
	"words_removed" integer DEFAULT 0 NOT NULL,
	"words_net" integer DEFAULT 0 NOT NULL,
	"active_seconds" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "writing_quarters_pk" PRIMARY KEY("project_id","slot","user_id")
);
--> statement-breakpoint
CREATE TABLE "writing_sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"project_id" text NOT NULL,
	"state" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone,
	"end_reason" text,
	"writing_ms" integer NOT NULL,
	"composed_words" integer NOT NULL,
	"summary" jsonb NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "writing_goals_project_idx" ON "writing_goals" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "writing_quarters_user_slot_idx" ON "writing_quarters" USING btree ("user_id","slot");--> statement-breakpoint
CREATE INDEX "writing_sessions_project_started_idx" ON "writing_sessions" USING btree ("project_id","started_at");--> statement-breakpoint
CREATE INDEX "writing_sessions_user_started_idx" ON "writing_sessions" USING btree ("user_id","started_at");