package fr.cartable.app.ui

import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.material.Icon
import androidx.compose.material.Snackbar
import androidx.compose.material.Text
import androidx.compose.material.TextButton
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Warning
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import androidx.compose.ui.unit.sp
import fr.cartable.app.format.French

/**
 * Says when the phone is offline and how many changes wait; nothing when all is sent.
 * [onRetry] syncs now.
 */
@Composable
fun OfflineBanner(online: Boolean, pendingChanges: Long, onRetry: () -> Unit) {
    if (online && pendingChanges == 0L) return
    val text = when {
        !online && pendingChanges > 0 ->
            "Hors connexion : ${French.changes(pendingChanges)} en attente, envoyée${if (pendingChanges > 1) "s" else ""} au retour du réseau."
        !online -> "Hors connexion : vous voyez les données enregistrées sur ce téléphone."
        else -> "${French.changes(pendingChanges).replaceFirstChar { it.uppercase() }} en attente d'envoi."
    }
    Row(
        Modifier.fillMaxWidth()
            .background(if (online) Palette.pendingBackground else Palette.offline)
            .padding(start = 12.dp, end = 4.dp)
            .heightIn(min = TouchTarget)
            .semantics(mergeDescendants = true) { liveRegion = LiveRegionMode.Polite },
        verticalAlignment = Alignment.CenterVertically,
    ) {
        if (!online) {
            Icon(Icons.Filled.Warning, contentDescription = null, tint = Color.White,
                modifier = Modifier.padding(end = 8.dp))
        }
        Text(
            text,
            modifier = Modifier.weight(1f).padding(vertical = 6.dp),
            color = if (online) Palette.pending else Color.White,
            fontSize = 14.sp,
        )
        TextButton(onClick = onRetry, modifier = Modifier.heightIn(min = TouchTarget)) {
            Text(if (online) "Envoyer" else "Réessayer", color = if (online) Palette.primary else Color(0xFFFFD27F))
        }
    }
}

/** The oldest decision to announce, with how many follow. */
@Composable
fun Announcement(message: String, more: Int, onDismiss: () -> Unit, modifier: Modifier = Modifier) {
    Snackbar(
        modifier = modifier.padding(12.dp).semantics { liveRegion = LiveRegionMode.Polite },
        action = {
            TextButton(onClick = onDismiss, modifier = Modifier.heightIn(min = TouchTarget)) {
                Text(if (more > 0) "Suivant ($more)" else "OK", color = Color(0xFFFFD27F))
            }
        },
    ) {
        Text(message, fontSize = 14.sp)
    }
}
