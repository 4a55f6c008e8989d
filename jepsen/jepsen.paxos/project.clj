(defproject jepsen.paxos "0.1.0"
  :description "Jepsen test for paxos-c: a Multi-Paxos replicated list, checked
               with Knossos and bin/paxos-check under partitions, kills and
               pauses, on real hosts or on one machine in a network namespace."
  :license {:name "Eclipse Public License"
            :url  "http://www.eclipse.org/legal/epl-v10.html"}
  ; Jepsen 0.3.5 is the last release on Clojure 1.11 (Debian 12 ships
  ; clojure 1.11.1 and OpenJDK 17); later ones need Clojure 1.12.
  :dependencies [[org.clojure/clojure "1.11.1"]
                 [jepsen "0.3.5"]]
  :main jepsen.paxos
  :jvm-opts ["-Xmx4g" "-Djava.awt.headless=true" "-server"]
  :test-selectors {:default (complement :integration)
                   :integration :integration})
