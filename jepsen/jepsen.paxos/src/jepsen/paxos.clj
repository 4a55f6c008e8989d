(ns jepsen.paxos
  "The Jepsen test of paxos-c: concurrent clients append unique ints to the
  replicated list and read it, on every node, while a nemesis partitions the
  network, kills and pauses nodes; Knossos and bin/paxos-check then judge
  the history, and must agree.

  Real hosts:    lein run test --nodes-file ~/nodes --ssh-private-key K --username U
  One machine:   jepsen/jepsen.paxos/run-netns.sh test --netns 3
                 (runs `lein run test --netns 3 ...` inside a fresh network
                 namespace; see README.md)"
  (:gen-class)
  (:require [clojure.java.io :as io]
            [clojure.java.shell :refer [sh]]
            [clojure.string :as str]
            [clojure.tools.logging :refer [info warn]]
            [jepsen [checker :as checker]
                    [cli :as cli]
                    [control :as c]
                    [generator :as gen]
                    [net :as net]
                    [os :as os]
                    [tests :as tests]]
            [jepsen.checker.timeline :as timeline]
            [jepsen.nemesis.combined :as nc]
            [jepsen.os.debian :as debian]
            [jepsen.paxos [checker :as pchecker]
                          [client :as pclient]
                          [db :as pdb]
                          [netns :as netns]
                          [paths :as paths]]))

(def nemeses
  "--nemesis NAME: the faults, and the jepsen.nemesis.combined targets."
  {"partition"        {:faults #{:partition}, :partition {:targets [:majority]}}
   "partition-leader" {:faults #{:partition}, :partition {:targets [:primaries]}}
   "partition-ring"   {:faults #{:partition}, :partition {:targets [:majorities-ring]}}
   "kill"             {:faults #{:kill},      :kill      {:targets [:one :minority]}}
   "pause"            {:faults #{:pause},     :pause     {:targets [:one :minority]}}
   "all"              {:faults #{:partition :kill :pause}
                       :partition {:targets [:majority :primaries :majorities-ring]}
                       :kill      {:targets [:one :minority]}
                       :pause     {:targets [:one :minority]}}
   "none"             {:faults #{}}})

(defn repo-root
  "This checkout: the project is jepsen/jepsen.paxos inside it, and the JVM
  runs there (lein, and run-netns.sh, start it in the project)."
  []
  (.getCanonicalPath (io/file (System/getProperty "user.dir") ".." "..")))

(defn- exists? [p] (.exists (io/file p)))
(defn- executable? [p] (let [f (io/file p)] (and (.isFile f) (.canExecute f))))

(defn check-paths!
  "Throws with a clear message when a path the test needs is missing (the
  paths are absolute by now: -main resolved them against the checkout)."
  [opts mode paxos-check]
  (when-let [why (or (paths/bin-problem (if (:netns mode) "--bin" "the control machine's build")
                                       (:bin mode) exists? executable?)
                     (paths/file-problem "--paxos-check" paxos-check exists? executable? true)
                     (when-let [t (:tarball opts)]
                       (paths/file-problem "--tarball" t exists? executable? false)))]
    (throw (IllegalArgumentException. ^String why))))

(defn source-tarball!
  "Multi-host mode without --tarball: HEAD of this checkout, as a tarball
  (git archive) in a temporary file."
  [repo]
  (let [f (java.io.File/createTempFile "paxos-c-" ".tar.gz")
        r (sh "git" "-C" repo "archive" "--format=tar.gz" "-o" (str f) "HEAD")]
    (when-not (zero? (:exit r))
      (throw (IllegalStateException.
               (str "git archive failed in " repo ": " (:err r)
                    "; pass --tarball FILE"))))
    (.deleteOnExit f)
    (str f)))

(defn appends
  "Unique ints from 1 up."
  []
  (let [n (atom 0)]
    (fn [] {:type :invoke, :f :append, :value (swap! n inc)})))

(defn reads [] {:type :invoke, :f :read, :value nil})

(defn mode-opts
  "The parts of the test that differ between one machine and real hosts."
  [opts]
  (if-let [n (:netns opts)]
    (let [ns    (or (:netns-name opts) (netns/current-namespace)
                    (throw (IllegalArgumentException.
                             "--netns: this JVM is in no named network namespace; use run-netns.sh or --netns-name")))
          nodes (mapv netns/node-addr (range 1 (inc n)))]
      (netns/check-inside! ns)
      (netns/prepare! ns)
      {:netns      ns
       :nodes      nodes
       :node-hosts (zipmap nodes nodes)
       :remote     (netns/remote ns)
       ; sudo -S would leave a password on the command's stdin.
       :ssh        (assoc (:ssh opts) :sudo-password nil)
       :net        (netns/net ns)
       :os         os/noop
       :dir        (paths/resolve-path (:repo opts) (or (:dir opts) (str "/tmp/paxos-jepsen/" ns)))
       :bin        (paths/resolve-path (:repo opts) (or (:bin opts) "bin"))})
    (let [nodes (:nodes opts)]
      {:nodes      nodes
       ; Real hosts: the config wants IPv4 addresses; resolved from the
       ; control node.
       :node-hosts (into {} (for [n nodes]
                              [n (.getHostAddress (java.net.InetAddress/getByName n))]))
       :net        net/iptables
       :os         debian/os
       :dir        (let [d (or (:dir opts) "/opt/paxos-c")]
                     (when-not (.isAbsolute (io/file d))
                       (throw (IllegalArgumentException.
                                (str "--dir " d ": on real hosts it must be an absolute path"))))
                     d)
       ; the control machine's own build makes the certificates
       :bin        (paths/resolve-path (:repo opts) "bin")
       :tarball    (or (:tarball opts) (source-tarball! (:repo opts)))})))

(defn paxos-test
  "A test map from the command line options."
  [opts]
  (let [opts      (assoc opts :repo (or (:repo opts) (repo-root)))
        mode      (mode-opts opts)
        db        (pdb/db)
        nem-name  (:nemesis opts)
        ; Only the partition and db (kill, pause) packages: nemesis-package
        ; would also set up the file-corruption nemesis, which downloads a
        ; tool from the internet, and the packet one (tc), which a shared lo
        ; cannot take.
        nem-opts  (merge {:db       db
                          :interval (:nemesis-interval opts)}
                         (get nemeses nem-name))
        package   (nc/compose-packages [(nc/partition-package nem-opts)
                                        (nc/db-package nem-opts)])
        rate      (:rate opts)
        appends   (appends)
        workload  (cond->> (gen/mix [appends appends reads])
                    (pos? rate) (gen/stagger (/ 1 rate)))
        paxos-check (paths/resolve-path (:repo opts) (or (:paxos-check opts) "bin/paxos-check"))
        _         (check-paths! opts mode paxos-check)
        ; The certificates (peers use mutual TLS), made here once for all
        ; nodes with this checkout's scripts and build.
        certs     (pdb/local-certs! (merge opts mode) (:repo opts) (:bin mode))]
    (merge tests/noop-test
           opts
           (dissoc mode :bin)
           (when (:netns mode) {:bin (:bin mode)})
           {:local-certs certs
            :name      (str "paxos-c " nem-name (when (:netns mode) " netns"))
            :pure-generators true
            :db        db
            :client    (pclient/client (:client-timeout opts))
            :nemesis   (:nemesis package)
            :plot      {:nemeses (:perf package)}
            :checker   (checker/compose
                         {:linear      (pchecker/agree (:knossos-time-limit opts)
                                                       (:knossos-plain opts) paxos-check)
                          :final-reads (pchecker/final-reads)
                          :recovery    (pchecker/recovery (:recovery-bound opts))
                          :timeline    (timeline/html)
                          :perf        (pchecker/perf (:perf package) (:recovery-bound opts))
                          :stats       (checker/stats)
                          :exceptions  (checker/unhandled-exceptions)})
            :generator (gen/phases
                         (->> workload
                              (gen/nemesis (:generator package))
                              (gen/time-limit (:time-limit opts)))
                         (gen/log "Healing")
                         (gen/nemesis (:final-generator package))
                         ; Appends only, on every thread (so every node),
                         ; so the recovery check sees when each node
                         ; acknowledges again after the final heal.
                         (gen/log "Recovery: appends on every node")
                         (gen/time-limit (:recovery-time opts)
                                         (gen/clients (cond->> appends
                                                        (pos? rate) (gen/stagger (/ 1 rate)))))
                         ; One read per thread: its last op (final-reads).
                         (gen/clients
                           (gen/each-thread {:type :invoke, :f :read, :value nil})))})))

(def opt-spec
  "Options beyond Jepsen's standard ones."
  [[nil "--netns N" "One machine: N nodes at 127.0.0.1..N in a network namespace (run through run-netns.sh)."
    :parse-fn parse-long
    :validate [#(<= 1 % 9) "must be 1..9"]]
   [nil "--netns-name NAME" "The namespace (default: the one this JVM runs in)."]
   [nil "--bin DIR" "One machine: the node binaries (default: bin/ of this checkout; a mutant: build/mutants/NAME/bin). Relative paths are from the top of the checkout."]
   [nil "--tarball FILE" "Real hosts: the source tarball to upload and build (default: git archive HEAD). Relative paths are from the top of the checkout."]
   [nil "--install-deps" "Real hosts: run scripts/install-deps.sh on every node before building."]
   [nil "--dir DIR" "Where the nodes keep config and data (default /opt/paxos-c, absolute; one machine: /tmp/paxos-jepsen/NS, relative paths from the top of the checkout)."]
   [nil "--nemesis NAME" (str "Faults: " (str/join ", " (sort (keys nemeses))) ".")
    :default "partition"
    :validate [nemeses "unknown nemesis"]]
   [nil "--nemesis-interval S" "Mean seconds between nemesis operations."
    :default 5
    :parse-fn parse-double]
   [nil "--rate R" "Client operations per second, in total (0: as fast as they go). Knossos's search grows steeply with the history: keep it low."
    :default 5
    :parse-fn parse-double]
   [nil "--recovery-time S" "Seconds of appends between healing and the final reads."
    :default 10
    :parse-fn parse-long]
   [nil "--recovery-bound S" "After every heal, every node must acknowledge an append within S seconds."
    :default 5
    :parse-fn parse-double]
   [nil "--client-timeout MS" "HTTP timeout; above the gateway's request_timeout_ms (3000)."
    :default 5000
    :parse-fn parse-long]
   [nil "--knossos-time-limit S" "Seconds Knossos may search before it says :unknown."
    :default 600
    :parse-fn parse-long]
   [nil "--knossos-plain" "Knossos on the unknown-outcome appends as they are, without the reductions that keep its search small: slower, and with ~30 of them it runs out of time or memory."]
   [nil "--paxos-check FILE" "The checker binary (default: bin/paxos-check of this checkout). Relative paths are from the top of the checkout."]])

(defn -main
  "Relative paths on the command line (--bin, --paxos-check, --tarball,
  --nodes-file, --ssh-private-key) are taken from the top of the checkout,
  as the README writes them, not from this JVM's directory."
  [& args]
  (cli/run! (merge (cli/single-test-cmd {:test-fn  paxos-test
                                         :opt-spec opt-spec})
                   (cli/serve-cmd))
            (paths/absolutize-args (repo-root) args)))
