package io.sluice.examples;

import java.util.Arrays;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A logistic-regression classifier trained by mini-batch SGD straight from Arrow batches: the
 * stand-in for a training loop. Features are read column by column from the vectors; missing lab
 * values are imputed with the mean. One patient in ten (by {@code patient_id}) is held out for
 * evaluation and never trained on.
 */
public final class LogisticRegression {
    // Fixed standardisation from the data's known distribution, so that one pass suffices.
    private static final double[] MEAN = {54, 122, 200, 101, 27};
    private static final double[] SCALE = {21, 18, 35, 21, 5};
    private static final int MINI_BATCH = 512;

    private final double learningRate;
    private final double[] weights = new double[MEAN.length + 1];
    private final double[] gradient = new double[weights.length];
    private double lossSum;
    private long lossCount;
    private HoldOut holdOut = new HoldOut();

    public LogisticRegression(double learningRate) {
        this.learningRate = learningRate;
    }

    /** Trains on one batch (the training rows of it) and remembers its held-out rows. */
    public void train(VectorSchemaRoot batch) {
        int rows = batch.getRowCount();
        BigIntVector ids = (BigIntVector) batch.getVector("patient_id");
        IntVector labels = (IntVector) batch.getVector("diagnosis");
        double[][] features = features(batch);
        Arrays.fill(gradient, 0);
        int inMiniBatch = 0;
        for (int row = 0; row < rows; row++) {
            if (ids.get(row) % 10 == 0) {
                holdOut.add(features, row, labels.get(row));
                continue;
            }
            double p = predict(features, row);
            int y = labels.get(row);
            lossSum += -(y * Math.log(p + 1e-12) + (1 - y) * Math.log(1 - p + 1e-12));
            lossCount++;
            double error = p - y;
            for (int f = 0; f < MEAN.length; f++) {
                gradient[f] += error * features[f][row];
            }
            gradient[MEAN.length] += error;
            if (++inMiniBatch == MINI_BATCH) {
                step(inMiniBatch);
                inMiniBatch = 0;
            }
        }
        if (inMiniBatch > 0) {
            step(inMiniBatch);
        }
    }

    /** Mean training log-loss since the last call, then resets it. */
    public double takeMeanLoss() {
        double mean = lossCount == 0 ? Double.NaN : lossSum / lossCount;
        lossSum = 0;
        lossCount = 0;
        return mean;
    }

    /** Accuracy on the held-out patients seen so far. */
    public double holdOutAccuracy() {
        return holdOut.accuracy(this);
    }

    /** The accuracy of always answering the more common label: what the model must beat. */
    public double holdOutMajorityAccuracy() {
        return holdOut.majorityAccuracy();
    }

    public long holdOutRows() {
        return holdOut.size;
    }

    /** Forgets held-out rows (they are collected again in the next epoch). */
    public void resetHoldOut() {
        holdOut = new HoldOut();
    }

    private void step(int rows) {
        for (int i = 0; i < weights.length; i++) {
            weights[i] -= learningRate * gradient[i] / rows;
            gradient[i] = 0;
        }
    }

    private double predict(double[][] features, int row) {
        double z = weights[MEAN.length];
        for (int f = 0; f < MEAN.length; f++) {
            z += weights[f] * features[f][row];
        }
        return 1 / (1 + Math.exp(-z));
    }

    private static double[][] features(VectorSchemaRoot batch) {
        int rows = batch.getRowCount();
        double[][] columns = new double[MEAN.length][rows];
        for (int f = 0; f < MEAN.length; f++) {
            FieldVector vector = batch.getVector(HospitalDataset.FEATURES.get(f));
            double[] column = columns[f];
            for (int row = 0; row < rows; row++) {
                column[row] = vector.isNull(row) ? 0 : (value(vector, row) - MEAN[f]) / SCALE[f];
            }
        }
        return columns;
    }

    private static double value(FieldVector vector, int row) {
        return switch (vector) {
            case Float8Vector doubles -> doubles.get(row);
            case IntVector ints -> ints.get(row);
            default -> throw new IllegalArgumentException("feature " + vector.getName() + " has type "
                    + vector.getField().getType() + "; expected int32 or double");
        };
    }

    /** Held-out rows, kept as standardised features. */
    private static final class HoldOut {
        private double[][] features = new double[MEAN.length][1024];
        private int[] labels = new int[1024];
        private int size;

        void add(double[][] batchFeatures, int row, int label) {
            if (size == labels.length) {
                labels = Arrays.copyOf(labels, size * 2);
                for (int f = 0; f < MEAN.length; f++) {
                    features[f] = Arrays.copyOf(features[f], size * 2);
                }
            }
            for (int f = 0; f < MEAN.length; f++) {
                features[f][size] = batchFeatures[f][row];
            }
            labels[size++] = label;
        }

        double majorityAccuracy() {
            if (size == 0) {
                return Double.NaN;
            }
            long positives = 0;
            for (int row = 0; row < size; row++) {
                positives += labels[row];
            }
            return Math.max(positives, size - positives) / (double) size;
        }

        double accuracy(LogisticRegression model) {
            if (size == 0) {
                return Double.NaN;
            }
            int correct = 0;
            for (int row = 0; row < size; row++) {
                int predicted = model.predict(features, row) >= 0.5 ? 1 : 0;
                correct += predicted == labels[row] ? 1 : 0;
            }
            return (double) correct / size;
        }
    }
}
