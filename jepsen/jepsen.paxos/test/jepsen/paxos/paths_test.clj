(ns jepsen.paxos.paths-test
  "Path options resolved against the checkout's top. Pure Clojure: runs
  with Debian's clojure (tests/clojure-syntax.sh) as well as lein test."
  (:require [clojure.test :refer [deftest is testing run-tests]]
            [jepsen.paxos.paths :as p]))

(def root "/src/paxos-c")

(deftest resolve-path
  (testing "relative paths are from the checkout's top, as the README writes them"
    (is (= "/src/paxos-c/build/mutants/quorum_too_small/bin"
           (p/resolve-path root "build/mutants/quorum_too_small/bin")))
    (is (= "/src/paxos-c/bin/paxos-check" (p/resolve-path root "./bin/paxos-check")))
    (is (= "/src/x.tar.gz" (p/resolve-path root "../x.tar.gz"))))
  (testing "absolute paths and nil stay"
    (is (= "/opt/bin" (p/resolve-path root "/opt/bin")))
    (is (nil? (p/resolve-path root nil)))))

(deftest absolutize-args
  (is (= ["test" "--netns" "3" "--bin" "/src/paxos-c/build/mutants/m/bin"
          "--time-limit" "60"]
         (p/absolutize-args root ["test" "--netns" "3" "--bin" "build/mutants/m/bin"
                                  "--time-limit" "60"])))
  (testing "every path option, in both forms"
    (is (= ["--paxos-check" "/src/paxos-c/bin/paxos-check"
            "--tarball=/src/paxos-c/t.tgz"
            "--nodes-file" "/src/paxos-c/nodes"
            "--ssh-private-key=/k.pem"]
           (p/absolutize-args root ["--paxos-check" "bin/paxos-check" "--tarball=t.tgz"
                                    "--nodes-file" "nodes" "--ssh-private-key=/k.pem"]))))
  (testing "other options' values are not paths, even when they look like one"
    (is (= ["--nemesis" "partition" "--netns-name" "ns/x" "--bin" "/b"]
           (p/absolutize-args root ["--nemesis" "partition" "--netns-name" "ns/x" "--bin" "/b"]))))
  (testing "a path option with no value is left for the option parser to report"
    (is (= ["test" "--bin"] (p/absolutize-args root ["test" "--bin"])))))

(deftest problems
  (let [files #{"/b" "/b/paxos-node" "/c" "/pc" "/t.tgz"}
        exec  #{"/b/paxos-node" "/pc"}]
    (is (nil? (p/bin-problem "--bin" "/b" files exec)))
    (is (re-find #"no such directory.*repository root" (p/bin-problem "--bin" "/x" files exec)))
    (is (re-find #"no executable paxos-node" (p/bin-problem "--bin" "/c" files exec)))
    (is (nil? (p/file-problem "--paxos-check" "/pc" files exec true)))
    (is (re-find #"not executable" (p/file-problem "--paxos-check" "/t.tgz" files exec true)))
    (is (nil? (p/file-problem "--tarball" "/t.tgz" files exec false)))
    (is (re-find #"--tarball /u.tgz: no such file" (p/file-problem "--tarball" "/u.tgz" files exec false)))))

(defn -main [& _]
  (let [{:keys [fail error]} (run-tests 'jepsen.paxos.paths-test)]
    (System/exit (if (zero? (+ fail error)) 0 1))))
