/** Usage errors: the command line itself is wrong (exit code 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export const HELP = `gennaker: Spinnaker pipelines, run serverless.

Usage:
  gennaker demo [--json]                           deploy the sample service three times (red/black under
                                    load, then a broken release rolled back) and show what happened
      --canary            instead: a good release promoted and a bad one (5% errors) rolled back by
                          canary analysis, under load, with the scores (--seed N: reproducible runs)
  gennaker validate <pipeline.json|yaml|-> [...]   report every problem at once (exit 1 if any); with
                                    <data>/accounts.json, unknown accounts too (--data, default .gennaker)
      --strict            an expression Gennaker cannot evaluate (bad syntax, a type reference, an
                          unknown helper) is an error, not a warning
  gennaker compile <pipeline.json|yaml|->          Amazon States Language on stdout
      --report            print the budgets (states, bytes, history events, transitions) to stderr
      --pipeline <name>   pick one pipeline from a document holding several
      --out <file>        write the ASL to a file instead of stdout
      --state-map         print { definition, stateMap } instead of the bare definition
  gennaker run <pipeline.json|yaml>                run a pipeline here, in-process, and show its progress
      --param <name=value>          a pipeline parameter (repeatable)
      --judge <refId>=continue|stop[:input]
                                    answer a manual judgment (repeatable); asked at the terminal otherwise
      --pipeline <name>             pick one pipeline from a document holding several
      --artifact <json|@file>       an artifact the trigger brings, e.g. '{"type": "docker/image", "name":
                                    "gcr.io/p/app", "reference": "gcr.io/p/app:v2"}'; a list, or spin's
                                    {"artifacts": [...]} file, works too (repeatable); expected artifacts
                                    bind to them, and a required one left unbound stops the run (exit 1)
      --trigger-type <type>[:<i>]   start as the pipeline's trigger of that type (triggers[i] of several),
                                    so the expected artifacts it names bind, e.g. pubsub:1 (default manual)
      --json                        print the final execution (Orca's shape) on stdout
      --sandbox                     deploy to simulated clouds: every aws/ecs/lambda account the pipeline
                                    names is served by the AWS simulator, every kubernetes account by the
                                    Kubernetes simulator, every gce account by the GCE simulator, local
                                    deploys by a scratch local target, seeded with what it assumes (images,
                                    subnets, target groups, networks, backend services, namespaces,
                                    Services, the version it replaces...); prints them, whether each
                                    cluster always had healthy capacity in traffic, what the run left,
                                    and the cloud calls it made
      --s3-object s3://<bucket>/<key>=<file>
                                    with --sandbox: the simulated S3 holds this object, the file's content
                                    (repeatable); every s3/object artifact is read from it, and one not
                                    given fails with S3's NoSuchKey naming this flag
      --sandbox-speed <n>           with --sandbox: simulated seconds per second, 1 to 10000 (default
                                    GENNAKER_SANDBOX_SPEED, else 30)
      --allow-url <pattern>         a URL webhook stages may call, e.g. 'http://127.0.0.1:*' (repeatable;
                                    default GENNAKER_WEBHOOK_ALLOWLIST, comma-separated; none: no calls)

  gennaker up [--port 8084] [--data .gennaker]     the local server: API on 127.0.0.1, triggers, cron
                                    (--port 0 picks a free port; where it listens is written to <data>/endpoint,
                                    where the client commands find it; the admin token to <data>/token;
                                    --allow-url as for run)
      --power-role <role>           a role that may run local jobs and deploy directories and git
                                    repositories (repeatable; default none: admins only)
      --root <dir>                  a directory those paths must lie under (repeatable; default: the
                                    directory up is started in)
      --sandbox                     the AWS, GCE and Kubernetes accounts saved pipelines name deploy to
                                    simulated clouds, seeded on save with what each pipeline assumes
      --s3-object s3://<bucket>/<key>=<file>
                                    with --sandbox: the simulated S3 holds this object (repeatable), as
                                    for run
      --sandbox-speed <n>           with --sandbox: executions keep the simulated clock, n times faster
                                    than yours (waits, canary intervals, judgment timeouts), as run's
                                    do; without it they keep yours and only the clouds run faster
                                    (GENNAKER_SANDBOX_SPEED, default 30)
  gennaker dashboard --endpoint <api-url> [--port 8085]
                                    the dashboard for Gennaker on AWS, on 127.0.0.1: its API calls
                                    signed with SigV4 with your AWS credentials; log in with the token
                                    it prints
  gennaker sandbox describe [--json]               what the simulated clouds of up --sandbox hold: Auto Scaling
                                    groups, target groups and their targets, ECS services, functions, aliases;
                                    namespaces, workloads, pods and the pods each Service selects;
                                    managed instance groups, backend services, target pools
  gennaker user add <name> [--roles a,b] [--admin] add a user of <data>; prints their token once
  gennaker user list                               the users, their roles, who is an admin (never a token)
  gennaker user remove <name>                      the user's token stops working at once
  gennaker secret set <name> [--app a,b]          a named secret for \${#secret('name')}, its value read from
                                    standard input, kept encrypted in <data>/secrets.json (--app: only
                                    those applications' pipelines may read it)
  gennaker secret list                             the secrets' names and applications (never a value)
  gennaker secret remove <name>
  gennaker audit [--app APP] [--limit N]           the audit log, newest first (admins only)
  gennaker pipeline save -f <pipeline.json|yaml>   validate and save through the API
  gennaker pipeline list <app>
  gennaker pipeline delete <app> <name>            delete a saved pipeline (its executions are kept)
  gennaker pipeline execute <app> <name> [--param k=v]... [--watch]
  gennaker template plan <templated-pipeline.json|yaml|->   render a templated pipeline (type templatedPipeline,
                                    schema v2) with its saved template and print the pipeline it runs
      --template <file>   render with this template file instead, without a server
  gennaker template save -f <template.json|yaml> [--tag stable]  create or update a v2 pipeline template
  gennaker template list | get <id> [--tag T] | delete <id> [--tag T]
  gennaker template from-pipeline <pipeline.json> <id>  a v2 template of a pipeline (Deck's export)
  gennaker execution list <app> [--limit N] [--statuses RUNNING,...]
  gennaker execution get <id>
  gennaker execution watch <id>                    live stage tree until the execution completes
  gennaker execution cancel <id> [--reason TEXT]
  gennaker execution restart <id> <stage>          stage id, refId or name; prints the new execution id
  gennaker judge <id> <stage> continue|stop [--input X]
  gennaker expr <id> [<stage>] '<expression>'      evaluate an expression as the execution (or one of its
                                    stages) sees it, through the API; prints the value, or why it failed
                                    (exit 1); a bare expression means \${...}
  gennaker expr --pipeline <pipeline.json> '<expression>' [--param k=v]...
                                    the same against a pipeline file about to start by hand, here
  gennaker canary judge --config <canary-config.json> --data <metrics.json>
                                    judge a canary once (NetflixACAJudge-v1.0, Kayenta's config format);
                                    metrics.json: {"control": {"<metric>": [numbers, null]}, "experiment": {...}}
      --thresholds <marginal,pass>  score thresholds (default: the config's classifier.scoreThresholds, else 50,75)
      --json                        print Kayenta's result shape {"judgeResult": ...}
  gennaker canary report <id> [--out report.html]  the execution's canary report, one self-contained HTML
                                    page (default canary-report-<id>.html); needs gennaker up
  gennaker canary config save -f <canary-config.json>  save a Kayenta canary config (under its "id", or a
                                    new one); stages name it by canaryConfigId or canaryConfigName
  gennaker canary config list                      the saved canary configs: id, name, applications, updated
  gennaker accounts list                           the accounts pipelines may deploy to (local, and
                                    <data>/accounts.json; on AWS the CDK context 'accounts')
  gennaker cluster describe <app> <cluster>        server groups, instance health and traffic
  gennaker rollback <app> <cluster> [--reason TEXT] [--watch]
                                    enable the previous server group, disable the newest
      --account <name>    the account (default local); --regions r1,r2 (default local)
      --endpoint <url>    the API (default: the one up recorded in <data>/endpoint, else http://127.0.0.1:8084);
                          token from GENNAKER_TOKEN (a user's) or <data>/token (the admin's)

Options for every command:
  --json                  machine-readable output
  -h, --help              this text

Exit codes: 0 ok (run: the execution SUCCEEDED), 1 invalid or failed, 2 usage.`;
