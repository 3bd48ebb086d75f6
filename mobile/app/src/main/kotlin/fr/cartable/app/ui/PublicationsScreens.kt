package fr.cartable.app.ui

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.shape.CircleShape
import androidx.compose.foundation.background
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.material.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.role
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.text.style.TextOverflow
import androidx.compose.ui.unit.dp
import androidx.compose.ui.unit.sp
import fr.cartable.app.format.French
import fr.cartable.mobile.Download
import fr.cartable.mobile.InformationMessage
import fr.cartable.mobile.InformationPage
import java.time.Instant

/** "Informations": messages (unread first; a tap opens one and marks it read), then the contact. */
@Composable
fun InformationScreen(page: InformationPage?, opened: String?, onOpen: (String) -> Unit) {
    LazyColumn(
        Modifier.fillMaxSize(),
        contentPadding = PaddingValues(12.dp),
        verticalArrangement = Arrangement.spacedBy(10.dp),
    ) {
        if (page == null) {
            item { Hint("Les informations arrivent à la première synchronisation.") }
            return@LazyColumn
        }
        item {
            Text(
                when (page.unread) {
                    0uL -> "Tout est lu."
                    1uL -> "1 message non lu"
                    else -> "${page.unread} messages non lus"
                },
                fontSize = 15.sp, color = Palette.muted,
            )
        }
        if (page.messages.isEmpty()) item { Hint("Aucun message de ${page.structureName} en ce moment.") }
        items(page.messages, key = { it.id }) { m -> MessageCard(m, m.id == opened, onOpen) }
        item {
            Panel {
                Text("Contacter ${page.structureName}", fontSize = 17.sp, fontWeight = FontWeight.SemiBold)
                if (page.contact.phone.isNotBlank()) LabelValue("Téléphone", page.contact.phone)
                if (page.contact.email.isNotBlank()) LabelValue("Courriel", page.contact.email)
                if (page.contact.address.isNotBlank()) LabelValue("Adresse", page.contact.address)
                if (page.contact.openingHours.isNotBlank()) LabelValue("Horaires d'accueil", page.contact.openingHours)
            }
        }
    }
}

@Composable
private fun MessageCard(message: InformationMessage, open: Boolean, onOpen: (String) -> Unit) {
    Panel(
        Modifier.clickable(onClickLabel = if (open) "refermer" else "lire") { onOpen(message.id) }
            .semantics(mergeDescendants = true) {
                role = Role.Button
                if (!message.read) contentDescription = "Non lu : ${message.title}"
            },
    ) {
        Row(verticalAlignment = Alignment.CenterVertically) {
            if (!message.read) {
                Box(Modifier.padding(end = 8.dp).size(10.dp).background(Palette.accepted, CircleShape))
            }
            Text(message.title, fontSize = 16.sp, fontWeight = if (message.read) FontWeight.Normal else FontWeight.SemiBold,
                modifier = Modifier.weight(1f))
        }
        Text(
            "Du ${French.isoDate(message.publishedFrom)}${if (message.publishedUntil.isNotBlank()) " au ${French.isoDate(message.publishedUntil)}" else ""}",
            fontSize = 13.sp, color = Palette.muted,
        )
        Text(message.body, fontSize = 15.sp, maxLines = if (open) Int.MAX_VALUE else 2, overflow = TextOverflow.Ellipsis)
    }
}

/** "Téléchargements": the structure's files; fetched once, then opened offline. */
@Composable
fun DownloadsScreen(downloads: List<Download>, onOpen: (String) -> Unit) {
    LazyColumn(
        Modifier.fillMaxSize(),
        contentPadding = PaddingValues(12.dp),
        verticalArrangement = Arrangement.spacedBy(10.dp),
    ) {
        if (downloads.isEmpty()) item { Hint("Aucun fichier proposé pour le moment.") }
        items(downloads, key = { it.id }) { d ->
            Panel {
                Text(d.title, fontSize = 16.sp, fontWeight = FontWeight.SemiBold)
                if (d.description.isNotBlank()) Text(d.description, fontSize = 15.sp)
                val day = Instant.ofEpochMilli(d.publishedAtMs).atZone(French.zone).toLocalDate()
                Text("${kindOf(d)}, ${French.size(d.sizeBytes)}, publié le ${French.date(day)}", fontSize = 13.sp, color = Palette.muted)
                if (d.localPath != null) Text("Sur ce téléphone : s'ouvre sans réseau", fontSize = 13.sp, color = Palette.primaryDark)
                SecondButton(if (d.localPath != null) "Ouvrir" else "Télécharger", { onOpen(d.id) })
            }
        }
    }
}

private fun kindOf(d: Download): String = when {
    d.contentType.contains("pdf") -> "PDF"
    d.contentType.startsWith("image/") -> "Image"
    else -> "Fichier"
}
