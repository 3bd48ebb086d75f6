package fr.cartable.app.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material.Text
import androidx.compose.material.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import androidx.compose.ui.unit.sp
import fr.cartable.app.format.French
import fr.cartable.app.state.DocumentsModel
import fr.cartable.mobile.Child
import fr.cartable.mobile.DocumentKindOption
import fr.cartable.mobile.SupportingDocument
import fr.cartable.mobile.SupportingDocumentState
import java.io.File

/** What "Mes documents" shows. */
data class DocumentsState(
    val documents: List<SupportingDocument>,
    val kinds: List<DocumentKindOption>,
    val children: List<Child>,
    val kind: String?,
    val childId: String?,
    val validUntil: String,
    val file: File?,
    val error: String?,
)

fun DocumentsModel.state() = DocumentsState(documents, kinds, children, kind, childId, validUntil, file, error)

class DocumentsActions(
    val onKind: (String) -> Unit = {},
    val onChild: (String?) -> Unit = {},
    val onValidUntil: (String) -> Unit = {},
    val onPick: () -> Unit = {},
    val onQueue: () -> Unit = {},
    val onRemove: (String) -> Unit = {},
)

@Composable
fun DocumentsScreen(state: DocumentsState, actions: DocumentsActions) {
    Column(
        Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(12.dp),
        verticalArrangement = Arrangement.spacedBy(10.dp),
    ) {
        SectionTitle("Documents envoyés")
        if (state.documents.isEmpty()) Hint("Aucun document pour le moment.")
        state.documents.forEach { d -> DocumentCard(d, state.children, actions) }
        Panel {
            Text("Envoyer un document", fontSize = 17.sp, fontWeight = FontWeight.SemiBold)
            Hint("PDF, JPEG ou PNG, 10 Mo au plus. Sans réseau, il part dès que le téléphone est connecté.")
            Text("Type de document", fontSize = 15.sp)
            Toggles { state.kinds.forEach { k -> Toggle(k.label, k.code == state.kind, { actions.onKind(k.code) }) } }
            Text("Concerne", fontSize = 15.sp)
            Toggles {
                Toggle("toute la famille", state.childId == null, { actions.onChild(null) })
                state.children.forEach { c -> Toggle(c.firstName, c.id == state.childId, { actions.onChild(c.id) }) }
            }
            Field("Valable jusqu'au (facultatif)", state.validUntil, actions.onValidUntil, "JJ/MM/AAAA")
            SecondButton(state.file?.let { "Fichier : ${it.name} (${French.size(it.length())})" } ?: "Choisir un fichier", actions.onPick)
            ErrorText(state.error)
            MainButton("Envoyer", actions.onQueue)
        }
    }
}

@Composable
private fun DocumentCard(doc: SupportingDocument, children: List<Child>, actions: DocumentsActions) {
    val (color, detail) = when (val s = doc.state) {
        is SupportingDocumentState.WaitingToSend -> Palette.pending to s.lastError
        is SupportingDocumentState.Sent -> Palette.pending to null
        is SupportingDocumentState.Accepted -> Palette.primaryDark to null
        is SupportingDocumentState.Rejected -> Palette.refused to "Motif : ${s.reason}"
        is SupportingDocumentState.Failed -> Palette.refused to s.error
    }
    Panel {
        Row(verticalAlignment = Alignment.CenterVertically) {
            Column(Modifier.weight(1f)) {
                Text(doc.kindLabel.replaceFirstChar { it.uppercase() }, fontSize = 16.sp, fontWeight = FontWeight.SemiBold)
                val about = children.firstOrNull { it.id == doc.childId }?.firstName
                Text(
                    listOfNotNull(doc.fileName, French.size(doc.sizeBytes), about, doc.validUntil?.let { "valable jusqu'au ${French.isoDate(it)}" })
                        .joinToString(" · "),
                    fontSize = 13.sp, color = Palette.muted,
                )
            }
        }
        Text(doc.stateLabel.replaceFirstChar { it.uppercase() }, fontSize = 15.sp, color = color, fontWeight = FontWeight.Medium)
        detail?.let { Text(it, fontSize = 14.sp, color = Palette.muted) }
        val local = doc.localId
        if (local != null && doc.serverId == null) {
            TextButton(onClick = { actions.onRemove(local) }, modifier = Modifier.heightIn(min = TouchTarget)) {
                Text("Retirer ce document")
            }
        }
    }
}
