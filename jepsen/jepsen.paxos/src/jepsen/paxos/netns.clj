(ns jepsen.paxos.netns
  "Single-machine mode: every node lives in ONE network namespace, node N at
  127.0.0.N on that namespace's lo, and this JVM runs inside the same
  namespace (run-netns.sh does `ip netns exec NS lein run test --netns 3`),
  because a namespace's loopback addresses cannot be reached from outside it.

  Two pieces replace what Jepsen normally does over SSH with iptables:

  - `remote`: a jepsen.control.core/Remote that runs each command with
    `ip netns exec NS bash -c CMD` on this machine, and copies files for
    upload/download. jepsen.control/su wraps commands in `sudo -u root`, so
    sudo must be installed even when running as root.

  - `net`: a jepsen.net.proto/Net whose partitions are iptables rules in the
    namespace's own filter table, in a chain of our own, matching source AND
    destination address. Jepsen's stock iptables Net drops by source only
    (`-A INPUT -s SRC -j DROP` on the destination node): right when every
    node has its own kernel, but here all nodes share one INPUT chain, so a
    source-only rule would cut the node from every node, itself included.

  Source addresses: every paxos-c role binds its outgoing connections to its
  own node's address (NNG_OPT_LOCADDR), so a packet from node A to node B
  carries source A. The client (this JVM) does not bind; `prepare!` makes
  the namespace's loopback route pick 127.0.0.100 as the default source, so
  client traffic is never mistaken for a node's and is never cut.

  Only loopback addresses inside the namespace are ever traffic targets."
  (:require [clojure.java.io :as io]
            [clojure.java.shell :refer [sh]]
            [clojure.string :as str]
            [clojure.tools.logging :refer [info warn]]
            [jepsen.control.core :as core]
            [jepsen.net.proto :as net.proto]
            [slingshot.slingshot :refer [throw+]]))

(def chain
  "Our iptables chain, hooked into INPUT."
  "PAXOS-JEPSEN")

(def client-source
  "The source address the client's (unbound) sockets get inside the
  namespace; no node ever has it."
  "127.0.0.100")

(defn node-addr
  "The address of node i (1-based)."
  [i]
  (str "127.0.0." i))

(defn loopback?
  "Is this a 127.0.0.0/8 address?"
  [addr]
  (boolean (re-matches #"127\.\d{1,3}\.\d{1,3}\.\d{1,3}" (str addr))))

(defn ns-exec
  "Runs argv inside namespace ns; returns clojure.java.shell's result map."
  [ns & argv]
  (apply sh "ip" "netns" "exec" ns argv))

(defn ns-exec!
  "Like ns-exec, but throws on a non-zero exit."
  [ns & argv]
  (let [r (apply ns-exec ns argv)]
    (when-not (zero? (:exit r))
      (throw+ {:type ::command-failed, :ns ns, :argv argv, :result r}
              nil "%s failed in namespace %s (exit %d): %s"
              (str/join " " argv) ns (:exit r) (str/trim (:err r))))
    r))

(defn current-namespace
  "The name of the network namespace this JVM runs in, or nil (root
  namespace, or one without a name)."
  []
  (let [pid (.pid (java.lang.ProcessHandle/current))
        r   (sh "ip" "netns" "identify" (str pid))]
    (when (zero? (:exit r))
      (let [n (str/trim (:out r))]
        (when-not (str/blank? n) n)))))

(defn prepare!
  "Brings lo up in the namespace and makes 127.0.0.100 the default source
  for loopback destinations (nodes bind their own addresses explicitly).
  Idempotent."
  [ns]
  (ns-exec! ns "ip" "link" "set" "lo" "up")
  (ns-exec! ns "ip" "route" "replace" "local" "127.0.0.0/8" "dev" "lo"
            "table" "local" "proto" "kernel" "scope" "host"
            "src" client-source)
  (info "namespace" ns "ready: lo up, client source" client-source))

(defn check-inside!
  "Throws unless this JVM runs inside namespace ns: the client has to, since
  127.0.0.N of the namespace is not reachable from anywhere else."
  [ns]
  (let [here (current-namespace)]
    (when-not (= here ns)
      (throw+ {:type ::not-inside, :namespace ns, :here here}
              nil (str "this JVM runs in namespace %s, not in %s: start it "
                       "with jepsen/jepsen.paxos/run-netns.sh (or `ip netns "
                       "exec %s lein run test --netns N ...`)")
              (pr-str here) ns ns))))

;; The Remote

(defn- cp!
  [from to]
  (let [r (sh "cp" "-a" (str from) (str to))]
    (when-not (zero? (:exit r))
      (throw+ {:type ::copy-failed, :from from, :to to, :result r}
              nil "cp %s %s failed: %s" from to (:err r)))))

(defrecord NetnsRemote [ns host]
  core/Remote
  (connect [this conn-spec]
    (let [host (:host conn-spec)]
      (when-not (loopback? host)
        (throw+ {:type ::not-loopback, :host host}
                nil "netns mode: node %s is not a 127.0.0.0/8 address" host))
      (assoc this :host host)))

  (disconnect! [this] this)

  (execute! [this _context action]
    ; jepsen.control has already wrapped :cmd with cd and sudo.
    (let [args (cond-> ["ip" "netns" "exec" ns "bash" "-c" (:cmd action)]
                 (:in action) (conj :in (:in action)))
          r    (apply sh args)]
      (assoc action :exit (:exit r), :out (:out r), :err (:err r))))

  (upload! [this _context local-paths remote-path _opts]
    (doseq [p (if (coll? local-paths) local-paths [local-paths])]
      (cp! p remote-path)))

  (download! [this _context remote-paths local-path _opts]
    (doseq [p (if (coll? remote-paths) remote-paths [remote-paths])]
      (io/make-parents (io/file local-path))
      (cp! p local-path))))

(defn remote
  "A Remote that runs commands in network namespace ns on this machine."
  [ns]
  (NetnsRemote. ns nil))

;; The Net

(defn- iptables!
  [ns & args]
  (apply ns-exec! ns "iptables" "-w" args))

(defn- ensure-chain!
  [ns]
  (when-not (zero? (:exit (ns-exec ns "iptables" "-w" "-L" chain "-n")))
    (iptables! ns "-N" chain))
  (when-not (zero? (:exit (ns-exec ns "iptables" "-w" "-C" "INPUT" "-j" chain)))
    (iptables! ns "-I" "INPUT" "-j" chain)))

(defn- addr
  [node]
  (when-not (loopback? node)
    (throw+ {:type ::not-loopback, :node node}
            nil "netns mode: node %s is not a 127.0.0.0/8 address" node))
  (str node))

(defn cut!
  "Drops every packet from src to dest (one direction)."
  [ns src dest]
  (ensure-chain! ns)
  (iptables! ns "-A" chain "-s" (addr src) "-d" (addr dest) "-j" "DROP"))

(defn rules
  "The current rules of our chain, as iptables -S prints them."
  [ns]
  (->> (ns-exec ns "iptables" "-w" "-S" chain)
       :out
       str/split-lines
       (filter #(str/starts-with? % "-A "))))

(defn net
  "A jepsen Net for namespace ns: partitions by source AND destination."
  [ns]
  (reify
    net.proto/Net
    (drop! [_ _test src dest]
      (cut! ns src dest))

    (heal! [_ _test]
      (ensure-chain! ns)
      (iptables! ns "-F" chain))

    (slow! [_ _test]
      (throw (UnsupportedOperationException. "netns mode: no slow!")))
    (slow! [_ _test _opts]
      (throw (UnsupportedOperationException. "netns mode: no slow!")))
    (flaky! [_ _test]
      (throw (UnsupportedOperationException. "netns mode: no flaky!")))
    (fast! [_ _test] nil)
    (shape! [_ _test _nodes behavior]
      ; jepsen.nemesis.combined's packet nemesis resets with no behavior at
      ; setup; only that is supported (tc on a shared lo would hit all).
      (when (seq behavior)
        (throw (UnsupportedOperationException. "netns mode: no shape!"))))

    net.proto/PartitionAll
    (drop-all! [_ _test grudge]
      ; grudge: node -> the nodes it must not hear from.
      (ensure-chain! ns)
      (doseq [[dest srcs] grudge, src srcs]
        (cut! ns src dest)))))
