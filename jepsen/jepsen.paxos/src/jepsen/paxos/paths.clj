(ns jepsen.paxos.paths
  "Path options, resolved against the repository root.

  The test's JVM runs in jepsen/jepsen.paxos (lein's project directory;
  run-netns.sh changes there too), but the README's commands, like
  `--bin build/mutants/quorum_too_small/bin`, are written from the top of
  the checkout. So every relative path given on the command line is taken
  relative to the repository root, never to the JVM's directory: the same
  command line means the same files wherever the test is started from.

  Pure (no Jepsen): tests/clojure-syntax.sh runs its tests with Debian's
  clojure."
  (:require [clojure.java.io :as io]
            [clojure.string :as str]))

(def path-options
  "Command-line options whose value is a local path: ours, and Jepsen's
  --nodes-file and --ssh-private-key (which Jepsen reads before the test
  is built, so they are rewritten in the argument list itself)."
  #{"--bin" "--paxos-check" "--tarball" "--nodes-file" "--ssh-private-key"})

(defn resolve-path
  "p resolved against root: nil stays nil, an absolute path stays as it is,
  a relative one becomes root/p (normalized: no . or .. left)."
  [root p]
  (when (some? p)
    (let [f (io/file p)]
      (if (.isAbsolute f)
        (str p)
        (-> (io/file root p) .toPath .normalize str)))))

(defn- split-eq
  "\"--opt=value\" -> [\"--opt\" \"value\"]; anything else -> nil."
  [arg]
  (when (str/starts-with? arg "--")
    (let [i (str/index-of arg "=")]
      (when i [(subs arg 0 i) (subs arg (inc i))]))))

(defn absolutize-args
  "The command line args with the value of every path option (both
  `--opt value` and `--opt=value`) resolved against root. Other arguments,
  and a path option given last with no value, are left as they are (the
  option parser reports the missing value)."
  [root args]
  (loop [in (seq args), out []]
    (if-not in
      out
      (let [a (first in)]
        (cond
          (and (path-options a) (next in))
          (recur (nnext in) (conj out a (resolve-path root (second in))))

          (when-let [[o _] (split-eq a)] (path-options o))
          (let [[o v] (split-eq a)]
            (recur (next in) (conj out (str o "=" (resolve-path root v)))))

          :else
          (recur (next in) (conj out a)))))))

(defn bin-problem
  "Why the build in dir cannot be used (nil if it can): it must hold an
  executable paxos-node (one machine runs it; both modes make the
  certificates with it). label names dir in the message (\"--bin\").
  exists? and executable? are predicates on a path."
  [label dir exists? executable?]
  (let [node (str dir "/paxos-node")]
    (cond
      (not (exists? dir))
      (str label " " dir ": no such directory (build it: make, or make mutants; "
           "relative paths are taken from the repository root)")

      (not (executable? node))
      (str label " " dir ": no executable paxos-node in it (run make)"))))

(defn file-problem
  "Why option's file f cannot be used (nil if it can)."
  [option f exists? executable? must-execute?]
  (cond
    (not (exists? f))
    (str option " " f ": no such file (relative paths are taken from the repository root"
         (when (= option "--paxos-check") "; run make")
         ")")

    (and must-execute? (not (executable? f)))
    (str option " " f ": not executable")))
