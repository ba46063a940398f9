package io.parley.registry.sambastack;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The names SambaStack's inference operator gives the StatefulSets (and so the pods) of a deployment named {@code N}
 * (a BundleDeployment or a ModelDeployment): the cache {@code inf-N-cache} (pod {@code inf-N-cache-0}) and one per
 * group {@code inf-N-q-<group>-n} (pods {@code inf-N-q-<group>-n-<i>}). A name that would pass its limit is cut and
 * gets {@code -} plus the first 8 hex characters of the SHA-256 of the uncut name: 63 characters for {@code inf-N}
 * and the cache StatefulSet, 52 for a serving StatefulSet (Kubernetes appends an 11-character hash to its
 * controller-revision label).
 *
 * <p>
 * Source of the rule: the public sambanova/sambastack-tools repository, {@code sambawiz/app/utils/inference-pod-names.ts}
 * and {@code pod-name-limits.ts} (a port of the operator's {@code make_kube_name} / {@code _truncate_value}), whose
 * test pins {@code bd-llama-4-maverick-17b-128e-instruct-alcf} →
 * {@code inf-bd-llama-4-maverick-17b-128-f0968391-q-default-n-0}.
 */
public final class OperatorNames {

    public static final int KUBE_NAME_LIMIT = 63;
    public static final int STATEFULSET_NAME_LIMIT = 52;
    private static final int HASH_LENGTH = 8;

    private OperatorNames() {
    }

    /** {@code value} itself when it fits {@code limit}, else cut to {@code limit - 9} plus {@code -<8 hex>}. */
    static String truncate(String value, int limit) {
        if (value.length() <= limit) {
            return value;
        }
        String hash = sha256Hex(value).substring(0, HASH_LENGTH);
        return value.substring(0, Math.max(0, limit - HASH_LENGTH - 1)) + "-" + hash;
    }

    static String kubeName(String base, String prefix, String suffix, int limit) {
        return prefix + truncate(base, limit - prefix.length() - suffix.length()) + suffix;
    }

    /** {@code inf-N}, cut to 63. */
    public static String inferenceName(String deployment) {
        return kubeName(deployment, "inf-", "", KUBE_NAME_LIMIT);
    }

    /** The cache StatefulSet: {@code inf-N-cache}, cut to 63. Its pod is {@code <this>-0}. */
    public static String cacheStatefulSet(String deployment) {
        return kubeName(inferenceName(deployment), "", "-cache", KUBE_NAME_LIMIT);
    }

    /** The serving StatefulSet of a group: {@code inf-N-q-<group>-n}, cut to 52. Its pods are {@code <this>-<i>}. */
    public static String servingStatefulSet(String deployment, String group) {
        return kubeName(inferenceName(deployment), "", "-q-" + group + "-n", STATEFULSET_NAME_LIMIT);
    }

    /** Whether {@code pod} is pod {@code <i>} of StatefulSet {@code statefulSet} ({@code <statefulSet>-<digits>}). */
    public static boolean isPodOf(String pod, String statefulSet) {
        if (!pod.startsWith(statefulSet + "-") || pod.length() == statefulSet.length() + 1) {
            return false;
        }
        for (int i = statefulSet.length() + 1; i < pod.length(); i++) {
            if (!Character.isDigit(pod.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static String sha256Hex(String value) {
        try {
            return HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }
}
