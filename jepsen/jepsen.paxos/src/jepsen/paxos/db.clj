(ns jepsen.paxos.db
  "Installs, starts, kills, pauses and tears down paxos-c nodes with this
  repository's scripts/start-node.sh, and collects every role's log.

  Layout on a node (DIR is the test's :dir):

    DIR/src/                    the source (multi-host: extracted from the
                                uploaded tarball and built with make)
    DIR/cluster.cfg             the cluster's config, the same on every node
    DIR/certs/                  the CA's certificate, the node's certificate
                                and key (peers use mutual TLS); made once on
                                the control machine (local-certs!), uploaded
    DIR/start-nodeN.out         what scripts/start-node.sh printed (in the
                                store as <node>/logs/start-node.out)
    DIR/data/nodeN/logs/*.log   every role's log
    DIR/data/nodeN/pids/*.pid   node.pid is the supervisor, then one per role

  Single-machine (netns) mode builds nothing and uploads nothing: it runs
  the local build (:bin, default bin/ of this checkout, or a mutant's
  build/mutants/NAME/bin) with the local scripts/start-node.sh, and gives
  every node its own config file (same content) so that concurrent setups
  never write one file at once."
  (:require [clojure.java.shell :refer [sh]]
            [clojure.string :as str]
            [clojure.tools.logging :refer [info warn]]
            [jepsen [control :as c]
                    [db :as db]
                    [util :as util]]
            [jepsen.control.util :as cu]
            [jepsen.paxos.client :as pc]
            [jepsen.paxos.startup :as startup]
            [slingshot.slingshot :refer [try+ throw+]]))

(defn node-id
  "1-based id of a node: its place in :nodes."
  [test node]
  (let [i (.indexOf ^java.util.List (vec (:nodes test)) node)]
    (assert (<= 0 i) (str "unknown node " (pr-str node)))
    (inc i)))

(defn netns? [test] (boolean (:netns test)))

(defn dir [test] (:dir test))

(defn src-dir
  "Where scripts/start-node.sh is."
  [test]
  (if (netns? test) (:repo test) (str (dir test) "/src")))

(defn bin-dir
  [test]
  (if (netns? test) (:bin test) (str (src-dir test) "/bin")))

(defn config-file
  [test node]
  (if (netns? test)
    (str (dir test) "/cluster-" (node-id test node) ".cfg")
    (str (dir test) "/cluster.cfg")))

(defn data-dir [test] (str (dir test) "/data"))

(defn certs-dir [test] (str (dir test) "/certs"))

(defn start-out
  "Where start-node.sh's output goes."
  [test node]
  (str (dir test) "/start-node" (node-id test node) ".out"))

(defn node-dir
  [test node]
  (str (data-dir test) "/node" (node-id test node)))

(defn config
  "The cluster's config (libconfig syntax), as jepsen/run writes it, with
  peers' mutual TLS on and its files under certs (default DIR/certs)."
  ([test] (config test (certs-dir test)))
  ([test certs]
  (let [nodes (:nodes test)
        hosts (:node-hosts test)]
    (str "# written by jepsen.paxos\n"
         "cluster_id = 7;\n"
         "data_dir = \"" (data-dir test) "\";\n"
         "heartbeat_ms = 50;\n"
         "election_timeout_min_ms = 300;\n"
         "election_timeout_max_ms = 600;\n"
         "request_timeout_ms = " (:request-timeout test 3000) ";\n"
         "fsync = true;\n"
         "tls = true;\n"
         "tls_ca = \"" (:ca (startup/cert-files certs 0)) "\";\n"
         "nodes = (\n"
         (->> nodes
              (map-indexed
                (fn [k node]
                  (let [i (inc k)]
                    (format "  { id = %d; host = \"%s\"; gateway_port = %d; acceptor_port = %d; proposer_port = %d; learner_port = %d; tls_cert = \"%s\"; tls_key = \"%s\"; }"
                            i (get hosts node node) (+ 5000 i) (+ 6000 i)
                            (+ 6100 i) (+ 6200 i)
                            (:cert (startup/cert-files certs i))
                            (:key (startup/cert-files certs i))))))
              (str/join ",\n"))
         "\n);\n"))))

(defn local-certs!
  "Makes the cluster's CA and every node's certificate ON THIS MACHINE, in
  a fresh temporary directory, with scripts/make-certs.sh of the checkout
  at repo and the paxos-node in bin (it reads the paths from the config);
  returns the directory. setup! uploads each node's part."
  [test repo bin]
  (let [d   (.toFile (java.nio.file.Files/createTempDirectory
                       "paxos-jepsen-certs-" (make-array java.nio.file.attribute.FileAttribute 0)))
        cfg (java.io.File. d "cluster.cfg")
        _   (spit cfg (config test (str d "/certs")))
        r   (sh "env" (str "PAXOS_BIN=" bin) (str repo "/scripts/make-certs.sh")
                "--config" (str cfg))]
    (when-not (zero? (:exit r))
      (throw (IllegalStateException.
               (str "scripts/make-certs.sh failed (exit " (:exit r) "): "
                    (:err r) (:out r)))))
    ; The keys are the test's own, for this run only: gone when the JVM ends.
    (.addShutdownHook (Runtime/getRuntime)
                      (Thread. #(sh "rm" "-rf" "--" (str d))))
    (info "certificates made in" (str d))
    (str d)))

(defn upload-certs!
  "Node's part of the certificates made by local-certs! into DIR/certs."
  [test node]
  (let [i      (node-id test node)
        local  (startup/cert-files (str (:local-certs test) "/certs") i)
        remote (startup/cert-files (certs-dir test) i)]
    (c/exec* (str "mkdir -p " (c/escape (certs-dir test))))
    (doseq [k [:ca :cert :key]]
      (c/upload [(local k)] (remote k)))
    (c/exec* (str "chmod 644 " (c/escape (:ca remote)) " " (c/escape (:cert remote))
                  " && chmod 600 " (c/escape (:key remote))))))

(defn pids-snippet
  "A bash snippet printing the pids of node's processes, supervisor first,
  skipping any pid file whose process is not (or no longer) a paxos-c
  program, so a stale file never names an unrelated process."
  [test node]
  (let [p (str (node-dir test node) "/pids")]
    (str "for f in " p "/node.pid $(ls " p "/*.pid 2>/dev/null | grep -v /node.pid$); do "
         "[ -f \"$f\" ] || continue; p=$(cat \"$f\" 2>/dev/null); "
         "[ -n \"$p\" ] && tr '\\0' ' ' </proc/$p/cmdline 2>/dev/null | grep -q paxos- && echo $p; "
         "done; true")))

(defn pids
  [test node]
  (->> (c/exec* (pids-snippet test node))
       str/split-lines
       (remove str/blank?)
       distinct))

(defn signal!
  "Sends signal sig to every process of node, supervisor first (so it cannot
  restart a child it sees die). Returns the pids signalled."
  [test node sig]
  (let [ps (pids test node)]
    (when (seq ps)
      (c/exec* (str "kill -" sig " " (str/join " " ps) " 2>/dev/null; true")))
    ps))

(defn start-node!
  "Starts node with scripts/start-node.sh, which returns once the node
  serves (or says why it does not). Its output goes to start-out (kept in
  the store with the node's logs); if it fails, the error says what it
  printed."
  [test node]
  (let [i   (node-id test node)
        out (start-out test node)
        ; Output to a file: a daemon holding our stdout pipe would hang us.
        ; The marker line lets the error quote this attempt's output only.
        mark (str "--- start " i " " (System/currentTimeMillis))
        r   (c/exec* (str "echo " (c/escape mark) " >>" (c/escape out) "; "
                          "PAXOS_BIN=" (c/escape (bin-dir test)) " "
                          (c/escape (str (src-dir test) "/scripts/start-node.sh")) " " i
                          " --config " (c/escape (config-file test node))
                          " >>" (c/escape out) " 2>&1 </dev/null; echo \"exit=$?\""))
        exit (some->> r (re-find #"exit=(\d+)") second parse-long)]
    (when-not (= 0 exit)
      (let [printed (c/exec* (str "sed -n " (c/escape (str "/^" mark "$/,$p")) " "
                                  (c/escape out) " 2>/dev/null | tail -n +2; true"))
            msg     (startup/failure-message i exit printed
                                             (str (node-dir test node) "/logs"))]
        (warn msg)
        (throw+ {:type ::start-failed, :node node, :exit exit, :output printed}
                nil "%s" msg)))
    (info "started node" i)))

(defn running?
  [test node]
  (let [sup (first (pids test node))
        f   (str (node-dir test node) "/pids/node.pid")]
    (and sup (= sup (str/trim (c/exec* (str "cat " f " 2>/dev/null; true")))))))

(defn stop-node!
  "SIGTERM to the supervisor (it stops its roles), a bounded wait, then
  SIGKILL to whatever is left, paused processes resumed first."
  [test node]
  (signal! test node "CONT")
  (signal! test node "TERM")
  (loop [t 0]
    (when (and (seq (pids test node)) (< t 50))
      (Thread/sleep 200)
      (recur (inc t))))
  (signal! test node "KILL"))

(defn install!
  "Multi-host: uploads the source tarball to DIR/src and builds it."
  [test node]
  (let [tarball (:tarball test)
        remote  (str (dir test) "/paxos-c.tar.gz")]
    (c/exec* (str "mkdir -p " (c/escape (dir test))))
    (info "uploading" tarball)
    (c/upload [tarball] remote)
    (c/exec* (str "rm -rf " (c/escape (src-dir test)) " && mkdir -p " (c/escape (src-dir test))
                  " && tar -xzf " (c/escape remote) " -C " (c/escape (src-dir test))))
    (when (:install-deps test)
      (c/exec* (str "cd " (c/escape (src-dir test)) " && bash scripts/install-deps.sh")))
    (info "building")
    (c/exec* (str "cd " (c/escape (src-dir test)) " && make -j2 programs >make.out 2>&1"
                  " || { tail -n 40 make.out; exit 1; }"))))

(defn wait-for-leader!
  "Until some node's /status names a leader (at most 30 s)."
  [test]
  (let [http (pc/http-client)
        hosts (:node-hosts test)
        nodes (:nodes test)]
    (loop [t 0]
      (cond
        (some (fn [n] (pc/leader http (get hosts n n) (node-id test n))) nodes)
        :ok

        (< t 150)
        (do (Thread/sleep 200) (recur (inc t)))

        :else
        (throw+ {:type ::no-leader} nil "no leader elected within 30 s")))))

(defrecord DB []
  db/DB
  (setup! [this test node]
    (c/su
      (when-not (netns? test) (install! test node))
      (c/exec* (str "mkdir -p " (c/escape (dir test))))
      (upload-certs! test node)
      (cu/write-file! (config test) (config-file test node))
      (start-node! test node)))

  (teardown! [this test node]
    (c/su
      (stop-node! test node)
      (c/exec* (str "rm -rf " (c/escape (node-dir test node))
                    " " (c/escape (start-out test node))))))

  db/Primary
  (setup-primary! [this test node])
  (primaries [this test]
    ; The nodes some live gateway names as leader.
    (let [http  (pc/http-client)
          nodes (vec (:nodes test))
          hosts (:node-hosts test)]
      (->> nodes
           (keep (fn [n] (pc/leader http (get hosts n n) (node-id test n))))
           distinct
           (keep #(get nodes (dec %))))))

  db/Kill
  (kill! [this test node]
    (c/su (let [ps (signal! test node "KILL")]
            (info "killed node" (node-id test node) ps)
            [:killed ps])))
  (start! [this test node]
    (c/su
      (if (running? test node)
        :already-running
        (do ; anything a kill raced with goes first
            (signal! test node "KILL")
            (start-node! test node)
            :started))))

  db/Pause
  (pause! [this test node]
    (c/su [:paused (signal! test node "STOP")]))
  (resume! [this test node]
    (c/su [:resumed (signal! test node "CONT")]))

  db/LogFiles
  (log-files [this test node]
    (let [d (str (node-dir test node) "/logs")]
      (->> (c/exec* (str "ls " (c/escape d) "/*.log 2>/dev/null; true"))
           str/split-lines
           (remove str/blank?)
           (map (fn [f] [f (str "logs/" (last (str/split f #"/")))]))
           (into {(start-out test node) "logs/start-node.out"})))))

(defn db [] (DB.))
