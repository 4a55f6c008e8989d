(ns jepsen.paxos.verdict-test
  "The run's verdict from the two checkers, Knossos's out-of-memory
  detection, and the start-node failure message. Pure Clojure: runs with
  Debian's clojure (tests/clojure-syntax.sh) as well as lein test."
  (:require [clojure.test :refer [deftest is testing run-tests]]
            [jepsen.paxos.startup :as startup]
            [jepsen.paxos.verdict :as v]))

(deftest linear-verdict
  (testing "agreement"
    (is (= {:valid? true, :agree? true, :disagreement nil} (v/linear-verdict true true)))
    (is (= false (:valid? (v/linear-verdict false false)))))
  (testing "a boolean disagreement is a disagreement, and invalid"
    (is (= {:valid? false, :agree? false, :disagreement {:knossos true, :paxos-check false}}
           (v/linear-verdict true false)))
    (is (= {:valid? false, :agree? false, :disagreement {:knossos false, :paxos-check true}}
           (v/linear-verdict false true))))
  (testing "Knossos gave up: paxos-check's verdict stands, no disagreement"
    (is (= {:valid? true, :agree? true, :disagreement nil} (v/linear-verdict :unknown true)))
    (is (= {:valid? false, :agree? true, :disagreement nil} (v/linear-verdict :unknown false)))
    (is (= true (:valid? (v/linear-verdict nil true)))))
  (testing "paxos-check gave no verdict: unknown, unless Knossos found a violation"
    (is (= :unknown (:valid? (v/linear-verdict true :unknown))))
    (is (= :unknown (:valid? (v/linear-verdict :unknown :unknown))))
    (is (= false (:valid? (v/linear-verdict false :unknown))))
    (is (:agree? (v/linear-verdict false :unknown)))))

(deftest out-of-memory
  (is (v/out-of-memory? (OutOfMemoryError. "Java heap space")))
  (is (v/out-of-memory? (RuntimeException. "fork-join" (OutOfMemoryError. "GC overhead"))))
  (is (not (v/out-of-memory? (RuntimeException. "other" (IllegalStateException.)))))
  (is (not (v/out-of-memory? nil)))
  (is (= {:valid? :unknown, :cause :out-of-memory, :detail "d", :elapsed-ms 5}
         (v/knossos-gave-up :out-of-memory "d" 5))))

(defn samples
  "One sample a second from t 0: [gc-ms-cumulative heap-frac] pairs."
  [& pairs]
  (vec (map-indexed (fn [i [gc h]] {:t-ms (* 1000 i), :gc-ms gc, :heap-frac h}) pairs)))

(deftest thrashing
  (testing "5 s of 80% GC with the heap 95% full after collections: thrashing"
    (is (v/thrashing? (samples [0 0.95] [800 0.95] [1600 0.96] [2400 0.95] [3200 0.97] [4000 0.95]))))
  (testing "busy GC with room in the heap is not thrashing"
    (is (not (v/thrashing? (samples [0 0.5] [800 0.6] [1600 0.5] [2400 0.6] [3200 0.5] [4000 0.6])))))
  (testing "a full heap the collector spends little time on is not thrashing"
    (is (not (v/thrashing? (samples [0 0.95] [10 0.95] [20 0.95] [30 0.95] [40 0.95] [50 0.95])))))
  (testing "one roomy collection inside the window: not (yet) thrashing"
    (is (not (v/thrashing? (samples [0 0.95] [800 0.95] [1600 0.5] [2400 0.95] [3200 0.95] [4000 0.95])))))
  (testing "samples must span the whole window"
    (is (not (v/thrashing? (samples [0 0.95] [800 0.95] [1600 0.96]))))
    (is (not (v/thrashing? [])))))

(deftest gc-fraction
  (is (= 0.8 (v/gc-fraction (samples [0 0.9] [800 0.9] [4000 0.9] [4000 0.9] [4000 0.9] [4000 0.9]))))
  (is (= 0.0 (v/gc-fraction (samples [0 0.9]))))
  (is (= 0.0 (v/gc-fraction []))))

(deftest trim-samples
  (let [s (samples [0 0] [1 0] [2 0] [3 0] [4 0] [5 0] [6 0] [7 0])]
    (testing "keeps the window and the last sample before it"
      (is (= [2000 3000 4000 5000 6000 7000] (map :t-ms (v/trim-samples s 5000)))))
    (testing "trimming loses nothing thrashing? needs"
      (let [t (samples [0 0.9] [900 0.95] [1800 0.95] [2700 0.95] [3600 0.95] [4500 0.95] [5400 0.95] [6300 0.95])]
        (is (= (v/thrashing? t) (v/thrashing? (v/trim-samples t 5000))))
        (is (v/thrashing? (v/trim-samples t 5000)))))))

(deftest start-failure
  (let [m (startup/failure-message 2 1 "a\nb\nnode 2 did not start (logs in /d)\n" "/d")]
    (is (re-find #"^node 2 did not start: scripts/start-node.sh exited with 1" m))
    (is (re-find #"node 2 did not start \(logs in /d\)" m))
    (is (re-find #"role logs: /d" m)))
  (is (re-find #"printed nothing" (startup/failure-message 1 7 "  \n" "/d")))
  (testing "only the last 40 lines"
    (let [out (apply str (map #(str "line" % "\n") (range 100)))
          m   (startup/failure-message 1 1 out "/d")]
      (is (re-find #"line99" m))
      (is (re-find #"line60\n" m))
      (is (not (re-find #"line59\n" m)))))
  (is (= {:ca "/c/ca.crt", :cert "/c/node3.crt", :key "/c/node3.key"}
         (startup/cert-files "/c" 3))))

(defn -main [& _]
  (let [{:keys [fail error]} (run-tests 'jepsen.paxos.verdict-test)]
    (System/exit (if (zero? (+ fail error)) 0 1))))
