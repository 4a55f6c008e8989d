(ns jepsen.paxos.startup
  "What the test says when a node does not start, and where the node's
  certificates go. Pure (no Jepsen): tests/clojure-syntax.sh runs its tests
  with Debian's clojure."
  (:require [clojure.string :as str]))

(defn tail-lines
  "The last n lines of s (all of it if shorter), without a final newline."
  [s n]
  (let [lines (str/split-lines (str s))]
    (str/join "\n" (take-last n lines))))

(defn failure-message
  "The error for node i whose scripts/start-node.sh exited with exit: what
  it printed (its last lines; all of it is in the store as
  <node>/logs/start-node.out) and where the node's role logs are."
  [i exit output log-dir]
  (str "node " i " did not start: scripts/start-node.sh exited with " exit
       (if (str/blank? output)
         " and printed nothing"
         (str "; it printed:\n" (tail-lines output 40)))
       "\n(role logs: " log-dir ")"))

(defn cert-files
  "Node i's certificate files under certs-dir: the CA's certificate and the
  node's own certificate and key (never the CA's key)."
  [certs-dir i]
  {:ca   (str certs-dir "/ca.crt")
   :cert (str certs-dir "/node" i ".crt")
   :key  (str certs-dir "/node" i ".key")})
