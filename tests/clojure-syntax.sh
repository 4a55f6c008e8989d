#!/usr/bin/env bash
# tests/clojure-syntax.sh -- every Clojure source file of the Jepsen test
# (jepsen/jepsen.paxos: project.clj, src/, test/) must read: all its forms,
# with clojure.core/read in a loop (*read-eval* off), in one JVM, with
# Debian's clojure.  CI has no Jepsen, so this is the check it can make:
# unbalanced brackets, bad literals and stray characters are caught;
# whether the code compiles against Jepsen is not.  The namespaces that
# need no Jepsen (recovery, paths, verdict, startup) are also run against
# their tests.
# Installs clojure with apt-get when it is missing (as root).
# Ends with "N passed, N failed"; exits non-zero on any failure.
set -u
cd "$(dirname "$0")/.."

if ! command -v clojure >/dev/null; then
    if [ "$(id -u)" -eq 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clojure >/dev/null 2>&1 ||
            { apt-get update -qq >/dev/null 2>&1 &&
              DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clojure >/dev/null 2>&1; }
    fi
    command -v clojure >/dev/null || { echo "clojure-syntax: clojure is missing (apt-get install clojure)"; echo "0 passed, 1 failed"; exit 1; }
fi

mapfile -t files < <(find jepsen/jepsen.paxos -name '*.clj' -not -path '*/target/*' -not -path '*/store/*' | sort)
if [ ${#files[@]} -eq 0 ]; then
    echo "clojure-syntax: no Clojure files found under jepsen/jepsen.paxos"
    echo "0 passed, 1 failed"
    exit 1
fi

# The reader program as a script file, the files as its arguments (with -e,
# clojure.main would run the first file as the script).
PROG=$(mktemp --suffix=.clj)
trap 'rm -f "$PROG"' EXIT
cat >"$PROG" <<'CLJ'

(let [results
      (for [f *command-line-args*]
        (try
          (with-open [r (java.io.PushbackReader. (clojure.java.io/reader f))]
            (binding [*read-eval* false]
              (loop [n 0]
                (let [form (read {:eof ::eof, :read-cond :allow} r)]
                  (if (= ::eof form)
                    (do (println "ok  " f (str "(" n " forms)")) true)
                    (recur (inc n)))))))
          (catch Throwable e
            (println "FAIL" f "--" (.getMessage e)
                     (if-let [c (.getCause e)] (.getMessage c) ""))
            false)))
      results (doall results)
      ok      (count (filter true? results))
      bad     (count (remove true? results))]
  (println (str ok " passed, " bad " failed"))
  (System/exit (if (zero? bad) 0 1)))
CLJ
out=$(clojure "$PROG" "${files[@]}" </dev/null)
rc=$?
grep -v '^[0-9]* passed, [0-9]* failed$' <<<"$out"
read -r pass fail < <(grep -E '^[0-9]+ passed, [0-9]+ failed$' <<<"$out" | sed -E 's/([0-9]+) passed, ([0-9]+) failed/\1 \2/')
pass=${pass:-0} fail=${fail:-1}

# The namespaces that need no Jepsen are also run against their tests here
# (the rest needs lein): the liveness check (recovery), path resolution
# (paths), the run's verdict, Knossos's out-of-memory detection and the
# start-node failure message (verdict, startup).
for t in recovery-test paths-test verdict-test; do
    if (cd jepsen/jepsen.paxos && timeout 300 clojure -cp src:test -e \
            "(require 'jepsen.paxos.$t) (jepsen.paxos.$t/-main)" </dev/null); then
        pass=$((pass + 1)); echo "ok   jepsen.paxos.$t"
    else
        fail=$((fail + 1)); echo "FAIL jepsen.paxos.$t"
    fi
done
echo "$pass passed, $fail failed"
[ "$rc" -eq 0 ] && [ "$fail" -eq 0 ]
